namespace Baton.Hosting.Draining;

/// <summary>
/// Follows the frame structure of a WebSocket byte stream written in arbitrary chunks
/// (RFC 6455 §5.2): a 2-byte header, a 2- or 8-byte extended length, an optional 4-byte mask,
/// then the payload. <see cref="AtBoundary"/> is true between two frames.
/// </summary>
internal sealed class WebSocketFrameBoundary
{
    private readonly byte[] _header = new byte[14];
    private int _headerRead;
    private int _headerNeeded = 2;
    private long _payloadLeft;

    /// <summary>True when the bytes seen so far end exactly at a frame boundary.</summary>
    public bool AtBoundary => _headerRead == 0 && _payloadLeft == 0;

    /// <summary>Consumes bytes written to the peer.</summary>
    public void Advance(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                int skip = (int)Math.Min(_payloadLeft, data.Length);
                _payloadLeft -= skip;
                data = data[skip..];
                continue;
            }

            int take = Math.Min(_headerNeeded - _headerRead, data.Length);
            data[..take].CopyTo(_header.AsSpan(_headerRead));
            _headerRead += take;
            data = data[take..];
            if (_headerRead < _headerNeeded)
            {
                return;
            }

            if (_headerNeeded == 2)
            {
                _headerNeeded = 2 + ExtendedLengthBytes(_header[1]) + ((_header[1] & 0x80) != 0 ? 4 : 0);
                if (_headerRead < _headerNeeded)
                {
                    continue;
                }
            }

            _payloadLeft = PayloadLength(_header);
            _headerRead = 0;
            _headerNeeded = 2;
        }
    }

    private static int ExtendedLengthBytes(byte second) => (second & 0x7F) switch
    {
        126 => 2,
        127 => 8,
        _ => 0,
    };

    private static long PayloadLength(ReadOnlySpan<byte> header)
    {
        int len7 = header[1] & 0x7F;
        return len7 switch
        {
            126 => (header[2] << 8) | header[3],
            127 => (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header[2..10]),
            _ => len7,
        };
    }
}
