namespace Baton.Hosting.Draining;

/// <summary>
/// The downstream side of an upgraded connection. It passes bytes through, and follows WebSocket
/// frame boundaries on what is written to the client (RFC 6455 §5.2), so that at the drain
/// deadline it can write a close frame with status 1001 (going away) between two frames, never
/// inside one. After that, further writes from the proxy are dropped.
/// </summary>
internal sealed class GoingAwayStream : Stream, ILongLivedStream
{
    // FIN + opcode 8 (close), payload length 2, status code 1001 in network order.
    private static readonly byte[] s_closeGoingAway = [0x88, 0x02, 0x03, 0xE9];

    private readonly Stream _inner;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly WebSocketFrameBoundary _boundary = new();
    private bool _closed;

    public GoingAwayStream(Stream inner, bool isWebSocket)
    {
        _inner = inner;
        IsWebSocket = isWebSocket;
    }

    public bool IsWebSocket { get; }

    public override bool CanRead => _inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => _inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public async Task<bool> SendGoingAwayAsync(CancellationToken cancellationToken)
    {
        if (!IsWebSocket)
        {
            return false;
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closed || !_boundary.AtBoundary)
            {
                return false;
            }

            _closed = true;
            await _inner.WriteAsync(s_closeGoingAway, cancellationToken).ConfigureAwait(false);
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closed)
            {
                return;
            }

            if (IsWebSocket)
            {
                _boundary.Advance(buffer.Span);
            }

            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => _inner.DisposeAsync();
}
