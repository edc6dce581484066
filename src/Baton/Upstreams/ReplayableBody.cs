using System.Buffers;

namespace Baton.Upstreams;

/// <summary>
/// The client's request body as the forwarder reads it, kept so that a retry can send it again:
/// every byte up to <c>bufferBytes</c> (the head), and past that the last <c>windowBytes</c> sent
/// (the tail, for a partial replay). Buffers are rented on first use and returned by <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// Positions count bytes read from the client. A retry replays <c>[0, Consumed)</c> first — from
/// the head when it holds everything (<see cref="Rewind"/>), or from what a draining app handed back
/// plus the tail (<see cref="TryHandBack"/>) — and then reads on from the client.
/// </remarks>
internal sealed class ReplayableBody : Stream
{
    private readonly Stream _client;
    private readonly int _bufferBytes;
    private readonly int _windowBytes;
    private byte[]? _head;
    private byte[]? _tail;          // ring: the last _windowBytes bytes read once the head overflowed
    private long _consumed;         // bytes read from the client
    private byte[]? _pending;       // bytes to serve before reading the client again (a retry)
    private int _pendingLength;
    private int _pendingPosition;
    private long _servedSinceRewind;
    private const int PumpBytes = 16 * 1024;
    private byte[]? _pumpBuffer;   // what the last client read brought, served from _pumpedPosition
    private int _pumpedPosition;
    private int _pumpedLength;
    private Task<int>? _pump;      // a client read still running (its try was cancelled)
    private bool _pumpIsProbe;     // ... and it is a zero-byte read (no data of its own)

    public ReplayableBody(Stream client, int bufferBytes, int windowBytes)
    {
        _client = client;
        _bufferBytes = bufferBytes;
        _windowBytes = windowBytes;
    }

    /// <summary>Bytes read from the client so far.</summary>
    public long Consumed => _consumed;

    /// <summary>True once more than the head was read: a plain retry can no longer resend the body.</summary>
    public bool Overflowed => _consumed > _bufferBytes;

    /// <summary>True once the body was rebuilt from a hand-back: it is never handed back twice.</summary>
    public bool Replayed { get; private set; }

    /// <summary>True when the forwarder has read nothing since the last rewind: the same bytes can go to another try as they are.</summary>
    public bool Untouched => _servedSinceRewind == 0;

    /// <summary>Prepares a plain retry: the next reads serve the body from its start.</summary>
    /// <returns>False when the body no longer fits the head (and was read past it).</returns>
    public bool Rewind()
    {
        if (Untouched)
        {
            return true;
        }

        if (Overflowed || Replayed)
        {
            return false;
        }

        _pending = _head;
        _pendingLength = (int)_consumed;
        _pendingPosition = 0;
        _servedSinceRewind = 0;
        _pumpedPosition = _pumpedLength;
        return true;
    }

    /// <summary>
    /// Rebuilds the body from a hand-back: <paramref name="received"/> is what the app got
    /// (<c>[0, received.Length)</c>); the rest up to <see cref="Consumed"/> comes from the head or
    /// the tail. Where the two overlap, they must agree byte for byte.
    /// </summary>
    /// <returns>Null on success, else why the body cannot be rebuilt (the request then fails with 502).</returns>
    public string? TryHandBack(ReadOnlySpan<byte> received)
    {
        if (Replayed)
        {
            return "the request was replayed once already";
        }

        long n = received.Length;
        if (n > _consumed)
        {
            return $"the app returned {n} body bytes but Baton had sent only {_consumed}";
        }

        // What Baton still holds: [0, head) and, once overflowed, [consumed - tail, consumed).
        long headEnd = Math.Min(_consumed, _bufferBytes);
        long tailStart = Overflowed ? _consumed - Math.Min(_windowBytes, _consumed - _bufferBytes) : _consumed;
        if (tailStart > headEnd && n < tailStart)
        {
            return $"the app returned {n} body bytes; Baton keeps bytes from {tailStart} of {_consumed} (ReplayWindowBytes {_windowBytes})";
        }

        var rebuilt = new byte[_consumed];
        received.CopyTo(rebuilt);
        for (long i = n; i < _consumed; i++)
        {
            rebuilt[i] = ByteAt(i);
        }

        // The overlap check: what Baton holds of [0, n) must equal what the app returned.
        long overlapEnd = Math.Min(n, headEnd);
        for (long i = 0; i < n; i++)
        {
            if ((i < overlapEnd || i >= tailStart) && ByteAt(i) != received[(int)i])
            {
                return $"the app's bytes differ from what Baton sent at offset {i}";
            }
        }

        _pending = rebuilt;
        _pendingLength = rebuilt.Length;
        _pendingPosition = 0;
        _servedSinceRewind = 0;
        _pumpedPosition = _pumpedLength;
        Replayed = true;
        return null;
    }

    private byte ByteAt(long position)
        => position < _bufferBytes ? _head![position] : _tail![(int)(position % _windowBytes)];

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_pending is not null && _pendingPosition < _pendingLength)
        {
            int n = Math.Min(buffer.Length, _pendingLength - _pendingPosition);
            _pending.AsMemory(_pendingPosition, n).CopyTo(buffer);
            _pendingPosition += n;
            _servedSinceRewind += n;
            return n;
        }

        if (_pumpedPosition < _pumpedLength)
        {
            return Serve(buffer);
        }

        // The client is read into Baton's own buffer and never with the forwarder's token: a try that
        // is cancelled (its destination reset the stream, a refusal arrived) leaves the read running,
        // and what it brings goes to the next try. Kestrel never sees a cancelled read.
        if (_pump is not null)
        {
            int n = await _pump.WaitAsync(cancellationToken).ConfigureAwait(false);
            bool probe = _pumpIsProbe;
            _pump = null;
            if (!probe)
            {
                Pumped(n);
                return Serve(buffer);
            }
        }

        if (buffer.IsEmpty)
        {
            // A zero-byte read (the forwarder's wait for data): wait without consuming.
            var probe = _client.ReadAsync(Memory<byte>.Empty, CancellationToken.None);
            if (!probe.IsCompletedSuccessfully)
            {
                (_pump, _pumpIsProbe) = (probe.AsTask(), true);
                await _pump.WaitAsync(cancellationToken).ConfigureAwait(false);
                _pump = null;
            }

            return 0;
        }

        _pumpBuffer ??= ArrayPool<byte>.Shared.Rent(PumpBytes);
        var read = _client.ReadAsync(_pumpBuffer.AsMemory(0, Math.Min(PumpBytes, buffer.Length)), CancellationToken.None);
        int got;
        if (read.IsCompletedSuccessfully)
        {
            got = read.Result;
        }
        else
        {
            (_pump, _pumpIsProbe) = (read.AsTask(), false);
            got = await _pump.WaitAsync(cancellationToken).ConfigureAwait(false);
            _pump = null;
        }

        Pumped(got);
        return Serve(buffer);
    }

    private int Serve(Memory<byte> buffer)
    {
        int served = Math.Min(buffer.Length, _pumpedLength - _pumpedPosition);
        _pumpBuffer.AsMemory(_pumpedPosition, served).CopyTo(buffer);
        _pumpedPosition += served;
        _servedSinceRewind += served;
        return served;
    }

    private void Pumped(int n)
    {
        Record(_pumpBuffer.AsSpan(0, n));
        _pumpedPosition = 0;
        _pumpedLength = n;
    }

    public override int Read(byte[] buffer, int offset, int count)
        => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Record(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_consumed < _bufferBytes)
            {
                _head ??= ArrayPool<byte>.Shared.Rent(_bufferBytes);
                int n = (int)Math.Min(data.Length, _bufferBytes - _consumed);
                data[..n].CopyTo(_head.AsSpan((int)_consumed));
                _consumed += n;
                data = data[n..];
            }
            else if (_windowBytes == 0)
            {
                _consumed += data.Length;
                return;
            }
            else
            {
                _tail ??= ArrayPool<byte>.Shared.Rent(_windowBytes);
                int at = (int)(_consumed % _windowBytes);
                int n = Math.Min(data.Length, _windowBytes - at);
                data[..n].CopyTo(_tail.AsSpan(at));
                _consumed += n;
                data = data[n..];
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_head is { } head)
            {
                _head = null;
                ArrayPool<byte>.Shared.Return(head);
            }

            if (_tail is { } tail)
            {
                _tail = null;
                ArrayPool<byte>.Shared.Return(tail);
            }

            // A client read still running keeps its buffer: it is not returned to the pool.
            if (_pumpBuffer is { } pump && _pump is null)
            {
                _pumpBuffer = null;
                ArrayPool<byte>.Shared.Return(pump);
            }
        }

        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _consumed; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
