using System.Buffers.Binary;

namespace Baton.Upstreams;

/// <summary>
/// The server side of an HTTP/2 connection to a destination, read through unchanged while its frame
/// headers are followed: a GOAWAY that announces a graceful shutdown (last stream id 2^31−1, the
/// first step of the two-step GOAWAY of Kestrel, nginx and Envoy) reports the destination as draining.
/// A GOAWAY with a real last stream id (an idle-timeout close) is not a drain and is ignored.
/// SocketsHttpHandler keeps GOAWAY to itself; this is how Baton sees it.
/// </summary>
internal sealed class GoAwayWatch(Stream inner, Action onShutdownAnnounced) : Stream
{
    private const byte GoAwayType = 0x7;
    private const uint AnnouncementStreamId = 0x7FFFFFFF;
    private readonly byte[] _header = new byte[9 + 4]; // frame header, then a GOAWAY's last stream id
    private int _have;      // bytes of _header filled
    private int _need = 9;  // bytes of _header wanted now
    private long _skip;     // payload bytes still to pass over
    private bool _reported;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (!_reported)
        {
            Follow(buffer.Span[..n]);
        }

        return n;
    }

    private void Follow(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_skip > 0)
            {
                int s = (int)Math.Min(_skip, data.Length);
                _skip -= s;
                data = data[s..];
                continue;
            }

            int take = Math.Min(_need - _have, data.Length);
            data[..take].CopyTo(_header.AsSpan(_have));
            _have += take;
            data = data[take..];
            if (_have < _need)
            {
                return;
            }

            int length = (_header[0] << 16) | (_header[1] << 8) | _header[2];
            if (_need == 9 && _header[3] == GoAwayType && length >= 8)
            {
                _need = 13; // read the last stream id too
                continue;
            }

            if (_need == 13)
            {
                if ((BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(9)) & 0x7FFFFFFF) == AnnouncementStreamId)
                {
                    _reported = true;
                    onShutdownAnnounced();
                    return;
                }

                _skip = length - 4;
            }
            else
            {
                _skip = length;
            }

            _have = 0;
            _need = 9;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();
    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
