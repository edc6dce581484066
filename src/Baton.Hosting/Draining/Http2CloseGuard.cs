using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Baton.Hosting.Draining;

/// <summary>
/// The close of an HTTP/2 connection the drain asked to close, decided on the wire rather than by
/// request counts (issue 11, defect 17). It sits between Kestrel and the connection's plaintext
/// bytes, follows the frames both ways, and:
/// <list type="number">
/// <item>when Kestrel's first GOAWAY (last stream id 2³¹−1: streams still active) goes out, appends a
/// PING to the same flush — the two-step GOAWAY of nginx and Envoy;</item>
/// <item>counts a stream in flight from the client's HEADERS as Kestrel gets them until the server's
/// END_STREAM or a RST_STREAM either way;</item>
/// <item>once the client acknowledged that PING — it answers after it read the GOAWAY, so every
/// stream it will ever open here has arrived — or, for a client that never answers, 1 s after the
/// GOAWAY, and only while no stream is in flight: stops handing input to Kestrel and ends its read
/// (Kestrel then sends the final GOAWAY with the highest stream it opened, and closes).</item>
/// </list>
/// Every stream Kestrel read was answered before the close; every stream it did not read is above
/// the final GOAWAY's last stream id, which tells the client to retry it. Before, the close was
/// decided by the count of requests the app had started: a stream Kestrel had read but not yet
/// handed to the app was cut off with the final GOAWAY naming it — the client's "The HTTP/2 server
/// closed the connection. HTTP/2 error code 'NO_ERROR'" on busy machines.
/// </summary>
internal sealed class Http2CloseGuard : IDuplexPipe
{
    /// <summary>How long a client that does not answer the PING gets to open the streams it sent before it read the GOAWAY.</summary>
    public static readonly TimeSpan Unanswered = TimeSpan.FromSeconds(1);

    // "baton-go" as the PING's opaque data, so its acknowledgement is recognised.
    private const long PingPayload = 0x626174_6F6E2D676F;

    private readonly IDuplexPipe _inner;
    private readonly GuardedInput _input;
    private readonly GuardedOutput _output;
    private readonly HashSet<int> _inFlight = new();
    private readonly Http2FrameScanner _fromClient;
    private readonly Http2FrameScanner _fromServer;
    private int _highestOpened;
    private bool _pingDue;
    private bool _pingAcked;
    private long _goAwayAt;
    private bool _closed;

    // Set once the client's first bytes were not the HTTP/2 preface: from then on the wrappers pass
    // bytes through without the lock (nothing of HTTP/1.1 is scanned, and such a connection is never
    // closed by this guard).
    private volatile bool _passThrough;

    public Http2CloseGuard(IDuplexPipe inner)
    {
        _inner = inner;
        _fromClient = new Http2FrameScanner(expectPreface: true, OnClientFrame);
        _fromServer = new Http2FrameScanner(expectPreface: false, OnServerFrame);
        _input = new GuardedInput(this, inner.Input);
        _output = new GuardedOutput(this, inner.Output);
    }

    public PipeReader Input => _input;

    public PipeWriter Output => _output;

    private object Gate => _inFlight;

    /// <summary>True once the client's bytes started with the HTTP/2 preface.</summary>
    public bool IsHttp2
    {
        get { lock (Gate) { return _fromClient.IsHttp2; } }
    }

    // Under Gate (the input wrapper scans what it hands to Kestrel).
    private void OnClientFrame(Http2FrameScanner.Frame frame)
    {
        switch (frame.Type)
        {
            case Http2FrameScanner.Headers when frame.StreamId > _highestOpened:
                _highestOpened = frame.StreamId;
                _inFlight.Add(frame.StreamId);
                break;
            case Http2FrameScanner.RstStream:
                Ended(frame.StreamId);
                break;
            case Http2FrameScanner.Ping when (frame.Flags & Http2FrameScanner.Ack) != 0 && frame.Payload8 == PingPayload:
                _pingAcked = true;
                Schedule();
                break;
        }
    }

    // Under Gate (the output wrapper scans what Kestrel writes).
    private void OnServerFrame(Http2FrameScanner.Frame frame)
    {
        switch (frame.Type)
        {
            case Http2FrameScanner.Headers or Http2FrameScanner.Data when (frame.Flags & Http2FrameScanner.EndStream) != 0:
            case Http2FrameScanner.RstStream:
                Ended(frame.StreamId);
                break;
            case Http2FrameScanner.GoAway when _goAwayAt == 0 && (int)(frame.Payload8 >> 32) == int.MaxValue:
                // Step 1: Kestrel's first GOAWAY; the PING follows it in the same flush.
                _goAwayAt = Environment.TickCount64;
                _pingDue = true;
                _ = CheckAfterAsync(Unanswered);
                break;
        }
    }

    private void Ended(int streamId)
    {
        if (_inFlight.Remove(streamId) && _inFlight.Count == 0)
        {
            Schedule();
        }
    }

    private void Schedule()
    {
        if (_goAwayAt != 0 && !_closed)
        {
            // Not inline: this runs inside Kestrel's writes and reads.
            ThreadPool.UnsafeQueueUserWorkItem(static g => g.CloseIfSettled(), this, preferLocal: false);
        }
    }

    private async Task CheckAfterAsync(TimeSpan wait)
    {
        await Task.Delay(wait).ConfigureAwait(false);
        CloseIfSettled();
    }

    // Step 3.
    private void CloseIfSettled()
    {
        lock (Gate)
        {
            if (_closed || _goAwayAt == 0 || _inFlight.Count > 0
                || (!_pingAcked && Environment.TickCount64 - _goAwayAt < (long)Unanswered.TotalMilliseconds))
            {
                return;
            }

            _closed = true;
        }

        // Kestrel takes a cancelled read as the client's FIN: final GOAWAY, flush, close.
        _inner.Input.CancelPendingRead();
    }

    private sealed class GuardedInput : PipeReader
    {
        private readonly Http2CloseGuard _guard;
        private readonly PipeReader _inner;
        private System.Buffers.ReadOnlySequence<byte> _last;
        private long _scannedBeyondConsumed;
        private bool _swallowed;

        public GuardedInput(Http2CloseGuard guard, PipeReader inner)
        {
            _guard = guard;
            _inner = inner;
        }

        // Pass-through (not HTTP/2) and a read that completed at once cost no state machine; a read
        // that has to wait takes a pooled one, so a scanned connection allocates nothing per read.
        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            if (_guard._passThrough)
            {
                return _inner.ReadAsync(cancellationToken);
            }

            var read = _inner.ReadAsync(cancellationToken);
            return read.IsCompletedSuccessfully ? new ValueTask<ReadResult>(Deliver(read.Result)) : DeliverAsync(read);
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<ReadResult> DeliverAsync(ValueTask<ReadResult> read)
            => Deliver(await read.ConfigureAwait(false));

        public override bool TryRead(out ReadResult result)
        {
            if (!_inner.TryRead(out var inner))
            {
                result = default;
                return false;
            }

            result = Deliver(inner);
            return true;
        }

        // What Kestrel gets: nothing more once the close was decided (a cancelled read, like a FIN);
        // else the bytes, scanned before Kestrel sees them, under the same lock as the decision.
        private ReadResult Deliver(ReadResult result)
        {
            if (_guard._passThrough)
            {
                return result;
            }

            lock (_guard.Gate)
            {
                if (_guard._closed)
                {
                    _inner.AdvanceTo(result.Buffer.Start);
                    _swallowed = true;
                    return new ReadResult(default, isCanceled: true, isCompleted: false);
                }

                if (_guard._fromClient.Active)
                {
                    _guard._fromClient.Scan(result.Buffer.Slice(_scannedBeyondConsumed));
                    _guard._passThrough = !_guard._fromClient.Active;
                }

                _last = result.Buffer;
                _scannedBeyondConsumed = result.Buffer.Length;
            }

            return result;
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            if (_swallowed)
            {
                _swallowed = false;
                return;
            }

            if (!_guard._passThrough)
            {
                _scannedBeyondConsumed = _last.Slice(consumed).Length;
            }

            _inner.AdvanceTo(consumed, examined);
        }

        public override void CancelPendingRead() => _inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => _inner.Complete(exception);
    }

    private sealed class GuardedOutput : PipeWriter
    {
        private readonly Http2CloseGuard _guard;
        private readonly PipeWriter _inner;
        private Memory<byte> _memory;

        public GuardedOutput(Http2CloseGuard guard, PipeWriter inner)
        {
            _guard = guard;
            _inner = inner;
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => _memory = _inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            if (_guard._passThrough)
            {
                _inner.Advance(bytes);
                return;
            }

            lock (_guard.Gate)
            {
                if (_guard._fromClient.IsHttp2)
                {
                    _guard._fromServer.Scan(_memory.Span[..bytes]);
                }
            }

            _inner.Advance(bytes);
        }

        // Step 1: Kestrel flushes whole frames; the PING goes right behind its GOAWAY.
        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (_guard._passThrough)
            {
                return _inner.FlushAsync(cancellationToken);
            }

            lock (_guard.Gate)
            {
                if (_guard._pingDue && _guard._fromServer.AtBoundary)
                {
                    _guard._pingDue = false;
                    var ping = _inner.GetSpan(17);
                    ping[..9].Clear();
                    ping[2] = 8; // length
                    ping[3] = Http2FrameScanner.Ping;
                    BinaryPrimitives.WriteInt64BigEndian(ping.Slice(9, 8), PingPayload);
                    _inner.Advance(17);
                }
            }

            return _inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => _inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => _inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => _inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => _inner.UnflushedBytes;
    }
}
