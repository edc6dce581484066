using System.Net;

namespace Baton.Hosting.Handoff;

/// <summary>
/// A listening socket Baton owns, by raw fd. It is never wrapped in an owning <c>Socket</c>:
/// disposing one while accepts are pending sets SO_LINGER{1,0} on the shared socket (so every
/// connection the next process accepts would be reset) or shuts it down for every holder.
/// </summary>
public sealed class OwnedListener
{
    internal OwnedListener(string key, EndPoint endPoint, int fd, ListenerOrigin origin)
    {
        Key = key;
        EndPoint = endPoint;
        Fd = fd;
        Origin = origin;
    }

    /// <summary>The stable key a new process adopts this socket by (the listener's name, else its address).</summary>
    public string Key { get; }

    /// <summary>The address it listens on (the real port when the config asked for port 0).</summary>
    public EndPoint EndPoint { get; internal set; }

    /// <summary>The file descriptor.</summary>
    public int Fd { get; }

    /// <summary>Where it came from.</summary>
    public ListenerOrigin Origin { get; }

    /// <summary>Who else may hold it (set by the upgrade; read when this process stops).</summary>
    internal ListenerSharing Sharing { get; set; }

    /// <summary>True once this process closed its descriptor.</summary>
    public bool IsClosed { get; internal set; }
}
