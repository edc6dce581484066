using System.Net;
using System.Net.Sockets;

namespace Baton.Hosting.Handoff;

/// <summary>
/// The key (and backlog) an app gave a Kestrel endpoint with
/// <see cref="BatonListenOptionsExtensions.UseBatonHandoffKey"/>; the listener table claims the
/// endpoint under it, so a new process adopts the socket by that key. An endpoint without one is
/// keyed by its address.
/// </summary>
internal sealed class ListenerKeys
{
    private readonly object _gate = new();
    // By reference: Kestrel binds the very EndPoint instance of the ListenOptions, and two
    // endpoints may have one address (127.0.0.1:0 twice is two listeners).
    private readonly Dictionary<EndPoint, ListenerKey> _byEndPoint = new(ReferenceEqualityComparer.Instance);

    public void Set(EndPoint endPoint, ListenerKey key)
    {
        lock (_gate)
        {
            _byEndPoint[endPoint] = key;
        }
    }

    public ListenerKey For(EndPoint endPoint)
    {
        lock (_gate)
        {
            return _byEndPoint.TryGetValue(endPoint, out var entry) ? entry : new ListenerKey(Text(endPoint), null, null);
        }
    }

    private static string Text(EndPoint endPoint) => endPoint is UnixDomainSocketEndPoint unix ? $"unix:{unix}" : endPoint.ToString() ?? "";
}

/// <summary>A Kestrel endpoint's key in the handoff, its backlog and the mode of its Unix socket file (null: defaults).</summary>
internal sealed record ListenerKey(string Key, int? Backlog, UnixFileMode? UnixMode);
