using System.Buffers;
using System.Buffers.Binary;

namespace Baton.Hosting.Draining;

/// <summary>
/// Follows HTTP/2 frame boundaries (RFC 9113 §4.1) in one direction of a connection's byte stream,
/// chunk by chunk, without copying payloads: it reports each frame's header, and the first 8 bytes
/// of a PING's or GOAWAY's payload. For the client's direction it first checks the connection
/// preface; anything else (HTTP/1.1, TLS records) turns it off for good.
/// </summary>
internal sealed class Http2FrameScanner
{
    public const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Ping = 0x6, GoAway = 0x7;
    public const byte EndStream = 0x1, Ack = 0x1;

    private static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    private readonly Action<Frame> _onFrame;
    private readonly byte[] _header = new byte[9];
    private readonly byte[] _payload = new byte[8];
    private int _prefaceSeen;
    private int _headerFilled;
    private int _payloadWanted;
    private int _payloadFilled;
    private int _skip;
    private Frame _current;

    /// <param name="expectPreface">True for the client's direction.</param>
    /// <param name="onFrame">Called for each frame: at its header, or once the kept payload bytes are in.</param>
    public Http2FrameScanner(bool expectPreface, Action<Frame> onFrame)
    {
        _prefaceSeen = expectPreface ? 0 : Preface.Length;
        _onFrame = onFrame;
    }

    /// <summary>False once the bytes were not HTTP/2.</summary>
    public bool Active { get; private set; } = true;

    /// <summary>True for the client's direction once its whole preface arrived.</summary>
    public bool IsHttp2 => Active && _prefaceSeen == Preface.Length;

    /// <summary>True between frames: bytes written now start a frame of their own.</summary>
    public bool AtBoundary => _headerFilled == 0 && _payloadWanted == 0 && _skip == 0 && _prefaceSeen == Preface.Length;

    public void Scan(in ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
        {
            Scan(segment.Span);
        }
    }

    public void Scan(ReadOnlySpan<byte> bytes)
    {
        while (Active && !bytes.IsEmpty)
        {
            if (_prefaceSeen < Preface.Length)
            {
                int n = Math.Min(bytes.Length, Preface.Length - _prefaceSeen);
                if (!bytes[..n].SequenceEqual(Preface.Slice(_prefaceSeen, n)))
                {
                    Active = false;
                    return;
                }

                _prefaceSeen += n;
                bytes = bytes[n..];
            }
            else if (_payloadWanted > 0)
            {
                int n = Math.Min(bytes.Length, _payloadWanted - _payloadFilled);
                bytes[..n].CopyTo(_payload.AsSpan(_payloadFilled));
                _payloadFilled += n;
                bytes = bytes[n..];
                if (_payloadFilled == _payloadWanted)
                {
                    _current = _current with { Payload8 = BinaryPrimitives.ReadInt64BigEndian(_payload) };
                    _payloadWanted = 0;
                    _onFrame(_current);
                }
            }
            else if (_skip > 0)
            {
                int n = Math.Min(bytes.Length, _skip);
                _skip -= n;
                bytes = bytes[n..];
            }
            else
            {
                int n = Math.Min(bytes.Length, 9 - _headerFilled);
                bytes[..n].CopyTo(_header.AsSpan(_headerFilled));
                _headerFilled += n;
                bytes = bytes[n..];
                if (_headerFilled == 9)
                {
                    _headerFilled = 0;
                    int length = (_header[0] << 16) | (_header[1] << 8) | _header[2];
                    _current = new Frame(_header[3], _header[4], BinaryPrimitives.ReadInt32BigEndian(_header.AsSpan(5)) & 0x7FFFFFFF, 0);
                    bool keep = _current.Type is Ping or GoAway && length >= 8;
                    if (keep)
                    {
                        _payloadWanted = 8;
                        _payloadFilled = 0;
                        _skip = length - 8; // after the kept bytes
                    }
                    else
                    {
                        _skip = length;
                        _onFrame(_current);
                    }
                }
            }
        }
    }

    /// <summary>One frame's header; <paramref name="Payload8"/> holds the first 8 payload bytes of a PING or GOAWAY.</summary>
    public readonly record struct Frame(byte Type, byte Flags, int StreamId, long Payload8);
}
