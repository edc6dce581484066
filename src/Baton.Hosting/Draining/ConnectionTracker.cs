using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Baton.Hosting.Draining;

/// <summary>
/// Counts in-flight requests, open connections and long-lived streams for the drain, the progress
/// logs and <c>/status</c>. The request path costs two interlocked operations.
/// </summary>
public sealed class ConnectionTracker
{
    private readonly ConcurrentDictionary<long, TrackedConnection> _connections = new();
    private readonly TimeProvider _time;
    private long _nextId;
    private int _inFlight;
    private int _longLived;
    private long _served;
    private volatile TaskCompletionSource? _idleWaiter;

    /// <summary>Creates an empty tracker; <paramref name="time"/> stamps connections and requests.</summary>
    public ConnectionTracker(TimeProvider time) => _time = time;

    /// <summary>Uploads from a replay-capable proxy that can be handed back at the drain deadline.</summary>
    internal HandBackRegistry HandBacks { get; } = new();

    /// <summary>Requests running now (long-lived ones included).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Long-lived streams (WebSockets and other upgraded connections) open now.</summary>
    public int LongLived => Volatile.Read(ref _longLived);

    /// <summary>Connections open now.</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>Requests that have completed since start.</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>The age of the oldest busy connection's current work, or zero when idle.</summary>
    public TimeSpan OldestRequestAge
    {
        get
        {
            long oldest = long.MaxValue;
            foreach (var c in _connections.Values)
            {
                if (c.ActiveRequests > 0 && c.BusySince < oldest)
                {
                    oldest = c.BusySince;
                }
            }

            return oldest == long.MaxValue ? TimeSpan.Zero : _time.GetElapsedTime(oldest);
        }
    }

    internal TrackedConnection ConnectionOpened(ConnectionContext context, ListenerInfo listener)
    {
        var tracked = new TrackedConnection(Interlocked.Increment(ref _nextId), context, listener);
        _connections[tracked.Id] = tracked;
        tracked.WatchCloseRequest();
        return tracked;
    }

    internal void ConnectionClosed(TrackedConnection connection)
    {
        _connections.TryRemove(connection.Id, out _);
        connection.StopWatchingCloseRequest();
    }

    internal void RequestStarted(TrackedConnection? connection)
    {
        Interlocked.Increment(ref _inFlight);
        connection?.RequestStarted(_time.GetTimestamp());
    }

    internal void RequestEnded(TrackedConnection? connection)
    {
        connection?.RequestEnded();
        Interlocked.Increment(ref _served);
        if (Interlocked.Decrement(ref _inFlight) == 0)
        {
            _idleWaiter?.TrySetResult();
        }
    }

    internal void LongLivedOpened(TrackedConnection? connection, ILongLivedStream stream)
    {
        Interlocked.Increment(ref _longLived);
        connection?.AddLongLived(stream);
    }

    internal void LongLivedClosed(TrackedConnection? connection, ILongLivedStream stream)
    {
        Interlocked.Decrement(ref _longLived);
        connection?.RemoveLongLived(stream);
    }

    /// <summary>Completes when no request is in flight (at once if none is).</summary>
    public Task WhenIdleAsync()
    {
        var waiter = _idleWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (InFlight == 0)
        {
            waiter.TrySetResult();
        }

        return waiter.Task;
    }

    /// <summary>A snapshot of the open connections.</summary>
    public IReadOnlyCollection<TrackedConnection> Connections => _connections.Values.ToArray();

    /// <summary>
    /// Closes every long-lived stream: WebSockets get a close frame with 1001 first, and the rest of
    /// <paramref name="closeTimeout"/> to answer it (the connection then ends by itself, with FIN);
    /// what is still open after that is aborted.
    /// </summary>
    /// <returns>How many long-lived streams there were, and how many got a close frame.</returns>
    internal async Task<(int Total, int CloseFramesSent)> CloseLongLivedAsync(TimeSpan closeTimeout)
    {
        var streams = new List<(TrackedConnection Connection, ILongLivedStream Stream)>();
        foreach (var c in _connections.Values)
        {
            foreach (var s in c.LongLivedSnapshot())
            {
                streams.Add((c, s));
            }
        }

        using var cts = new CancellationTokenSource(closeTimeout, _time);
        var sent = await Task.WhenAll(streams.Select(async x =>
        {
            bool ok;
            try
            {
                ok = await x.Stream.SendGoingAwayAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception)
            {
                ok = false;
            }

            if (ok)
            {
                // An abort right after the close frame resets the connection (the transport closes a
                // socket with a pending receive abortively), and the reset can overtake the frame.
                await WhenClosedAsync(x.Connection.Context, cts.Token).ConfigureAwait(false);
            }

            x.Connection.Context.Abort(new ConnectionAbortedException("Baton drain deadline: long-lived connection closed."));
            return ok;
        })).ConfigureAwait(false);
        return (streams.Count, sent.Count(ok => ok));
    }

    private static async Task WhenClosedAsync(ConnectionContext context, CancellationToken timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (context.ConnectionClosed.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), done))
        using (timeout.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), done))
        {
            await done.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Aborts every open connection; returns the number of requests that were still running.</summary>
    internal int AbortAll(string reason)
    {
        int running = InFlight;
        foreach (var c in _connections.Values)
        {
            c.Context.Abort(new ConnectionAbortedException(reason));
        }

        return running;
    }
}
