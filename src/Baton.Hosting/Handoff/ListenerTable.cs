using System.Net;
using System.Net.Sockets;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Interop;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting.Handoff;

/// <summary>
/// Every listening socket this process owns, keyed by a stable name, so that a new process adopts
/// each by key. Sockets handed in (inherited, socket-activated, received) wait here until the
/// configuration claims them; those it does not claim are closed.
/// </summary>
public sealed partial class ListenerTable : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, OwnedListener> _listeners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Fd, ListenerOrigin Origin)> _handedIn = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    /// <summary>Creates an empty table; <paramref name="logger"/> logs binds, adoptions and closes.</summary>
    public ListenerTable(ILogger<ListenerTable> logger) => _logger = logger;

    /// <summary>The listeners claimed so far, in claim order.</summary>
    public IReadOnlyList<OwnedListener> Listeners
    {
        get { lock (_gate) { return _listeners.Values.ToArray(); } }
    }

    /// <summary>Keys of sockets handed in and not claimed yet.</summary>
    public IReadOnlyCollection<string> HandedInKeys
    {
        get { lock (_gate) { return _handedIn.Keys.ToArray(); } }
    }

    /// <summary>Registers a validated listening fd handed in by a previous process or systemd.</summary>
    public void AddHandedIn(string key, int fd, ListenerOrigin origin)
    {
        lock (_gate)
        {
            if (_handedIn.ContainsKey(key) || _listeners.ContainsKey(key))
            {
                throw new InvalidOperationException($"listener key '{key}' was handed in twice");
            }

            _handedIn[key] = (fd, origin);
        }
    }

    /// <summary>
    /// Claims the listener <paramref name="key"/>: adopts the socket handed in under that key, else
    /// binds <paramref name="endPoint"/>. The backlog is set explicitly either way.
    /// </summary>
    /// <param name="key">The listener's name in the config (its key in a handoff).</param>
    /// <param name="endPoint">The configured address.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="unixMode">The mode of a Unix socket file this binds, whatever the umask (the admin socket: 0600); null keeps the umask's.</param>
    public OwnedListener Claim(string key, EndPoint endPoint, int backlog, UnixFileMode? unixMode = null)
    {
        lock (_gate)
        {
            if (_listeners.TryGetValue(key, out var existing))
            {
                return existing;
            }

            OwnedListener listener;
            if (TakeByKey(key, endPoint, out var handed) || RemoveByAddress(endPoint, out handed))
            {
                var expected = endPoint.AddressFamily;
                if (!ListenSockets.TryValidate(handed.Fd, expected, out var info, out var error))
                {
                    throw new IOException($"listener '{key}': {error}");
                }

                if (key == AdminKey && info.LocalEndPoint is IPEndPoint { Address: var address } && !IPAddress.IsLoopback(address))
                {
                    throw new IOException($"listener '{key}': the socket handed in is bound to {info.LocalEndPoint}; the admin listener must be loopback or a Unix socket");
                }

                ListenSockets.Listen(handed.Fd, backlog);
                ListenSockets.AllowNewConnections(handed.Fd); // a previous holder may have stopped handshakes before it closed
                listener = new OwnedListener(key, info.LocalEndPoint ?? endPoint, handed.Fd, handed.Origin);
                Log.Adopted(_logger, key, listener.EndPoint, handed.Fd, handed.Origin);
            }
            else
            {
                int fd = ListenSockets.BindAndListen(endPoint, backlog, unixMode);
                ListenSockets.TryValidate(fd, AddressFamily.Unspecified, out var info, out _);
                listener = new OwnedListener(key, info.LocalEndPoint ?? endPoint, fd, ListenerOrigin.Bound);
                Log.Bound(_logger, key, listener.EndPoint, fd, backlog);
            }

            _listeners[key] = listener;
            return listener;
        }
    }

    /// <summary>The key of the admin listener (the same as the configuration's).</summary>
    public const string AdminKey = "@admin";

    // The socket handed in under this key, if it is bound where the configuration says (issue 11,
    // defect 4). A socket whose address differs (the new config moved the listener) is left
    // unclaimed: the new address is bound fresh, and this process's copy of the old socket is
    // closed with the unclaimed ones; the old process keeps its own copy until it drained.
    private bool TakeByKey(string key, EndPoint endPoint, out (int Fd, ListenerOrigin Origin) handed)
    {
        if (!_handedIn.TryGetValue(key, out handed))
        {
            return false;
        }

        if (ListenSockets.TryValidate(handed.Fd, AddressFamily.Unspecified, out var info, out _)
            && info.LocalEndPoint is { } actual && !IsBoundAt(actual, endPoint))
        {
            Log.Moved(_logger, key, actual, endPoint);
            handed = default;
            return false;
        }

        _handedIn.Remove(key);
        return true;
    }

    /// <summary>
    /// Whether a socket bound at <paramref name="actual"/> serves the configured
    /// <paramref name="wanted"/>: the same family and address, and the same port unless the
    /// configuration asks for any (0); for Unix sockets the same path.
    /// </summary>
    internal static bool IsBoundAt(EndPoint actual, EndPoint wanted) => (actual, wanted) switch
    {
        (IPEndPoint a, IPEndPoint w) => a.Address.Equals(w.Address) && (w.Port == 0 || a.Port == w.Port),
        (UnixDomainSocketEndPoint a, UnixDomainSocketEndPoint w) => a.ToString() == w.ToString(),
        _ => Equals(actual, wanted),
    };

    // systemd names sockets by its own unit's FileDescriptorName; when that is not the listener's
    // key, the listener adopts the socket bound to its address.
    private bool RemoveByAddress(EndPoint endPoint, out (int Fd, ListenerOrigin Origin) handed)
    {
        foreach (var (key, entry) in _handedIn)
        {
            if (ListenSockets.TryValidate(entry.Fd, AddressFamily.Unspecified, out var info, out _) && info.LocalEndPoint is { } actual
                && (actual is not IPEndPoint || endPoint is not IPEndPoint { Port: 0 }) && IsBoundAt(actual, endPoint))
            {
                _handedIn.Remove(key);
                handed = entry;
                return true;
            }
        }

        handed = default;
        return false;
    }

    /// <summary>Closes handed-in sockets the configuration did not claim (listeners the new config dropped).</summary>
    public IReadOnlyList<string> CloseUnclaimed()
    {
        List<string> dropped;
        lock (_gate)
        {
            dropped = _handedIn.Keys.ToList();
            foreach (var (key, (fd, _)) in _handedIn)
            {
                ListenSockets.Close(fd);
                Log.Dropped(_logger, key, fd);
            }

            _handedIn.Clear();
        }

        return dropped;
    }

    /// <summary>Finds the listener with this fd.</summary>
    public OwnedListener? FindByFd(int fd)
    {
        lock (_gate)
        {
            return _listeners.Values.FirstOrDefault(l => l.Fd == fd);
        }
    }

    /// <summary>
    /// Called once the server stopped accepting on <paramref name="listener"/>: removes the fd from
    /// this process's epoll set (else, while another process keeps the socket open, this one would
    /// wake for every connection that arrives) and closes it. If this process was its only holder,
    /// the socket closes and new connections are refused, not left in a backlog.
    /// </summary>
    public void Release(OwnedListener listener)
    {
        lock (_gate)
        {
            if (listener.IsClosed)
            {
                return;
            }

            listener.IsClosed = true;
        }

        int epolls = ListenSockets.RemoveFromEpoll(listener.Fd);
        ListenSockets.Close(listener.Fd);
        Log.Closed(_logger, listener.Key, listener.EndPoint, listener.Fd, epolls);
    }

    /// <summary>Closes every socket still open.</summary>
    public void Dispose()
    {
        foreach (var l in Listeners)
        {
            Release(l);
        }

        CloseUnclaimed();
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.ListenerBound, LogLevel.Information, "Listener {Key} bound on {EndPoint} (fd {Fd}, backlog {Backlog})", EventName = nameof(BatonEventIds.ListenerBound))]
        public static partial void Bound(ILogger logger, string key, EndPoint endPoint, int fd, int backlog);

        [LoggerMessage(BatonEventIds.ListenerAdopted, LogLevel.Information, "Listener {Key} adopted on {EndPoint} (fd {Fd}, {Origin})", EventName = nameof(BatonEventIds.ListenerAdopted))]
        public static partial void Adopted(ILogger logger, string key, EndPoint endPoint, int fd, ListenerOrigin origin);

        [LoggerMessage(BatonEventIds.ListenerMoved, LogLevel.Warning, "Listener {Key} was handed in on {Old} but the configuration says {New}: bound afresh there; the old socket closes with the old process", EventName = nameof(BatonEventIds.ListenerMoved))]
        public static partial void Moved(ILogger logger, string key, EndPoint old, EndPoint @new);

        [LoggerMessage(BatonEventIds.ListenerDropped, LogLevel.Information, "Listener {Key} (fd {Fd}) is not in the configuration any more: closed", EventName = nameof(BatonEventIds.ListenerDropped))]
        public static partial void Dropped(ILogger logger, string key, int fd);

        [LoggerMessage(BatonEventIds.ListenerClosed, LogLevel.Information, "Listener {Key} on {EndPoint} stopped accepting (fd {Fd} closed, removed from {Epolls} epoll set(s))", EventName = nameof(BatonEventIds.ListenerClosed))]
        public static partial void Closed(ILogger logger, string key, EndPoint endPoint, int fd, int epolls);
    }
}
