using Baton.Proxy;

namespace Baton.Upstreams;

/// <summary>
/// One request's retry bookkeeping, created only once a try failed (or a destination refused it):
/// the access log reads it as <see cref="IProxyAttemptsFeature"/>.
/// </summary>
internal sealed class RetryState : IProxyAttemptsFeature
{
    public int Tries { get; set; } = 1;

    public string Destinations { get; set; } = "";

    /// <summary>What the response transform saw on the last try (a refusal, a hand-back, a listed status).</summary>
    public TryFailure Seen { get; set; }

    /// <summary>The body bytes a draining app handed back with its refusal.</summary>
    public byte[]? HandedBack { get; set; }

    /// <summary>Why a refusal could not be accepted (echo or byte counts wrong): the request then fails with 502.</summary>
    public string? RefusalError { get; set; }

    private CancellationTokenSource? _tryTimer;
    private CancellationTokenSource? _tryToken;
    private CancellationToken _clientAborted;

    /// <summary>True when the last try ran out of its <c>TryTimeout</c> before the response headers (the client is still there).</summary>
    public bool TryTimedOut { get; private set; }

    /// <summary>
    /// Starts a try's timeout: until <see cref="HeadersArrived"/>, <paramref name="context"/>'s
    /// <c>RequestAborted</c> (which the forwarder links to) also fires at <paramref name="timeout"/>.
    /// </summary>
    public void StartTry(HttpContext context, TimeSpan timeout, TimeProvider time)
    {
        EndTry(context);
        _clientAborted = context.RequestAborted;
        _tryTimer = new CancellationTokenSource(timeout, time);
        _tryToken = CancellationTokenSource.CreateLinkedTokenSource(_clientAborted, _tryTimer.Token);
        context.RequestAborted = _tryToken.Token;
        TryTimedOut = false;
    }

    /// <summary>The response headers arrived: the try's timeout no longer applies (the body streams on).</summary>
    public void HeadersArrived() => _tryTimer?.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);

    /// <summary>Ends the try: notes whether its timeout fired and gives the client's token back.</summary>
    public void EndTry(HttpContext context)
    {
        if (_tryTimer is null)
        {
            return;
        }

        TryTimedOut = _tryTimer.IsCancellationRequested && !_clientAborted.IsCancellationRequested;
        context.RequestAborted = _clientAborted;
        _tryToken!.Dispose();
        _tryTimer.Dispose();
        _tryTimer = null;
        _tryToken = null;
    }

    public static RetryState Of(HttpContext context)
    {
        if (context.Features.Get<RetryState>() is { } state)
        {
            return state;
        }

        state = new RetryState();
        context.Features.Set(state);
        context.Features.Set<IProxyAttemptsFeature>(state);
        return state;
    }
}
