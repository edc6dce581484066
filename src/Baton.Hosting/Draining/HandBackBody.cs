using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Baton.Hosting.Draining;

/// <summary>Thrown into a handler's body read when its upload is handed back to the proxy.</summary>
public sealed class RequestHandedBackException() : IOException("The request was handed back to the proxy: this process is draining.");

/// <summary>
/// An upload from a replay-capable proxy, as the handler reads it: every byte read is kept (up to
/// a limit) so that, if the drain deadline comes first, the bytes can go back to the proxy.
/// </summary>
internal sealed class HandBackBody : Stream
{
    private readonly Stream _inner;
    private readonly System.IO.Pipelines.PipeReader _reader; // the server's own reader: Request.BodyReader wraps whatever Body is
    private readonly int _maxBytes;
    private byte[] _kept = [];
    private int _length;
    private volatile bool _handBack;

    public HandBackBody(HttpContext context, int maxBytes)
    {
        _inner = context.Request.Body;
        _reader = context.Request.BodyReader;
        _maxBytes = maxBytes;
    }

    /// <summary>Completes when the hand-back response was written (or the request ended otherwise).</summary>
    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once more was read than can be kept: this upload can no longer be handed back.</summary>
    public bool TooLarge { get; private set; }

    /// <summary>True once <see cref="HandBack"/> was called.</summary>
    public bool HandingBack => _handBack;

    public bool Completed { get; private set; }

    /// <summary>Stops the handler's reading (its pending read ends with <see cref="RequestHandedBackException"/>).</summary>
    public void HandBack()
    {
        _handBack = true;
        _reader.CancelPendingRead();
    }

    /// <summary>The bytes the handler read, plus whatever already arrived and waits unread.</summary>
    public ReadOnlyMemory<byte> Received()
    {
        var reader = _reader;
        while (!TooLarge && reader.TryRead(out var result))
        {
            foreach (var segment in result.Buffer)
            {
                Keep(segment.Span);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.Buffer.IsEmpty)
            {
                break;
            }
        }

        return _kept.AsMemory(0, _length);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_handBack)
        {
            throw new RequestHandedBackException();
        }

        int n;
        try
        {
            n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_handBack)
        {
            throw new RequestHandedBackException();
        }

        if (_handBack)
        {
            // The read raced the hand-back: keep the bytes, the handler never sees them.
            Keep(buffer.Span[..n]);
            throw new RequestHandedBackException();
        }

        Keep(buffer.Span[..n]);
        Completed = n == 0;
        return n;
    }

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || TooLarge)
        {
            return;
        }

        if (_length + data.Length > _maxBytes)
        {
            TooLarge = true;
            return;
        }

        if (_length + data.Length > _kept.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_length + data.Length, Math.Min(_maxBytes, Math.Max(16 * 1024, _kept.Length * 2))));
            _kept.AsSpan(0, _length).CopyTo(bigger);
            ReturnKept();
            _kept = bigger;
        }

        data.CopyTo(_kept.AsSpan(_length));
        _length += data.Length;
    }

    private void ReturnKept()
    {
        if (_kept.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_kept);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReturnKept();
            _kept = [];
            _length = 0;
        }

        base.Dispose(disposing);
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
