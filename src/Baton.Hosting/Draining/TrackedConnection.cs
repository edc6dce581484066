using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Baton.Hosting.Draining;

/// <summary>
/// One accepted connection, as the drain sees it: which listener it came from, how many requests
/// are active on it and since when, and its long-lived streams. Set as a connection feature by
/// the connection middleware, so requests find it without a lookup.
/// </summary>
public sealed class TrackedConnection
{
    private int _activeRequests;
    private long _closeRequestedAt;
    private long _busySince;
    private int _closeRequested;
    private CancellationTokenRegistration _closeRequestWatch;
    private List<ILongLivedStream>? _longLived;

    internal TrackedConnection(long id, ConnectionContext context, ListenerInfo listener)
    {
        Id = id;
        Context = context;
        Listener = listener;
    }

    /// <summary>A process-unique id.</summary>
    public long Id { get; }

    /// <summary>The listener that accepted this connection.</summary>
    public ListenerInfo Listener { get; }

    internal ConnectionContext Context { get; }

    /// <summary>Requests currently running on this connection (HTTP/2 may have several).</summary>
    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    /// <summary>True once a request on this connection arrived over HTTP/2.</summary>
    public bool IsHttp2 { get; internal set; }

    /// <summary>True once the server asked this connection to close (it is stopping; HTTP/2 clients got GOAWAY).</summary>
    public bool CloseRequested => Volatile.Read(ref _closeRequested) != 0;

    /// <summary>The <see cref="TimeProvider"/> timestamp at which the connection last went from idle to busy.</summary>
    internal long BusySince => Volatile.Read(ref _busySince);

    internal void RequestStarted(long timestamp)
    {
        if (Interlocked.Increment(ref _activeRequests) == 1)
        {
            Volatile.Write(ref _busySince, timestamp);
        }
    }

    /// <summary>The guard that closes this connection on the wire when it speaks HTTP/2 in plaintext where it sits.</summary>
    internal Http2CloseGuard? Http2Close { get; set; }

    internal void RequestEnded()
    {
        // A guard that follows the frames decides the close itself (Http2CloseGuard); this fallback,
        // by request counts, is only for HTTP/2 that no guard can read (TLS without one after it).
        if (Interlocked.Decrement(ref _activeRequests) == 0 && IsHttp2 && CloseRequested && Http2Close is not { IsHttp2: true })
        {
            _ = CloseWhenQuietAsync();
        }
    }

    // How long an HTTP/2 connection that got GOAWAY must stay without a stream before Baton ends
    // its read, and how long after the GOAWAY at the earliest: streams the client opened before it
    // saw the GOAWAY may still be on their way, or already read by Kestrel but not yet counted here.
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);
    private const long SettleMs = 1000;

    private async Task CloseWhenQuietAsync()
    {
        var sinceGoAway = Environment.TickCount64 - Volatile.Read(ref _closeRequestedAt);
        var wait = TimeSpan.FromMilliseconds(Math.Max(Quiet.TotalMilliseconds, SettleMs - sinceGoAway));
        await Task.Delay(wait).ConfigureAwait(false);
        if (ActiveRequests == 0)
        {
            // The last stream of an HTTP/2 connection that got GOAWAY ended (its END_STREAM is
            // queued: HTTP/2 requests end at OnCompleted). Kestrel 10 sends the final GOAWAY and
            // closes only when the client sends another frame; a silent client would hold the
            // drain until its deadline. Ending the server's read, as a client FIN would, makes
            // Kestrel do it now: final GOAWAY, flush, FIN. Aborting would cut off that response.
            Context.Transport.Input.CancelPendingRead();
        }
    }

    internal void WatchCloseRequest()
    {
        if (Context.Features.Get<IConnectionLifetimeNotificationFeature>() is { } lifetime)
        {
            _closeRequestWatch = lifetime.ConnectionClosedRequested.UnsafeRegister(
                static s =>
                {
                    var connection = (TrackedConnection)s!;
                    Volatile.Write(ref connection._closeRequestedAt, Environment.TickCount64);
                    Volatile.Write(ref connection._closeRequested, 1);
                }, this);
        }
    }

    internal void StopWatchingCloseRequest() => _closeRequestWatch.Dispose();

    internal void AddLongLived(ILongLivedStream stream)
    {
        lock (this)
        {
            (_longLived ??= new()).Add(stream);
        }
    }

    internal void RemoveLongLived(ILongLivedStream stream)
    {
        lock (this)
        {
            _longLived?.Remove(stream);
        }
    }

    internal ILongLivedStream[] LongLivedSnapshot()
    {
        lock (this)
        {
            return _longLived is { Count: > 0 } list ? list.ToArray() : [];
        }
    }
}
