using Baton.Hosting.Draining;
using Baton.Hosting.Interop;
using Baton.Hosting.Lifecycle;

namespace Baton.Hosting.Handoff;

/// <summary>
/// The step between "the new process serves" and this process's drain (re-exec, upgrade socket
/// and a supervised worker alike). Closing an idle keep-alive connection races a client that is
/// just sending on it (nginx's reload problem; wrk counts every such request as failed, since it
/// never retries). So first: this process stops taking connections from the shared queue (its
/// listening fds leave its epoll set, so a pending accept never wakes; the socket is untouched and
/// the new process accepts everything), and every HTTP/1.1 response now carries
/// <c>Connection: close</c> (phase UpgradeDraining). Busy keep-alive connections thus end cleanly
/// after their next response; this waits, up to one second, until none is left idle.
/// </summary>
internal sealed class KeepAliveHandOver : IHandOverStep
{
    private readonly ListenerTable _table;
    private readonly ConnectionTracker _tracker;
    private readonly TimeProvider _time;

    public KeepAliveHandOver(ListenerTable table, ConnectionTracker tracker, TimeProvider time)
    {
        _table = table;
        _tracker = tracker;
        _time = time;
    }

    public async Task BeforeDrainAsync()
    {
        foreach (var l in _table.Listeners.Where(l => !l.IsClosed))
        {
            l.Sharing = ListenerSharing.HandedOver;
            ListenSockets.RemoveFromEpoll(l.Fd);
        }

        var deadline = _time.GetTimestamp() + _time.TimestampFrequency;
        while (_tracker.Connections.Any(c => c.ActiveRequests == 0 && !c.IsHttp2 && !c.Listener.IsAdmin)
            && _time.GetTimestamp() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), _time).ConfigureAwait(false);
        }
    }
}
