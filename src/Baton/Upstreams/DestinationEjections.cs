using System.Collections.Concurrent;
using Yarp.ReverseProxy.Model;

namespace Baton.Upstreams;

/// <summary>Why a destination was taken out of rotation.</summary>
internal enum EjectionReason
{
    /// <summary>Connecting to it failed.</summary>
    ConnectFailure,

    /// <summary>It said it is draining (the drain marker on a response, or a refusal).</summary>
    Draining,
}

/// <summary>
/// Destinations out of rotation for new requests: one that failed to connect or said it is
/// draining stays out until its active health check passes again, or for
/// <see cref="UpstreamPolicy.EjectFor"/>. While nothing is ejected, <see cref="Filter"/> costs one read.
/// </summary>
internal sealed class DestinationEjections
{
    private readonly ConcurrentDictionary<DestinationState, Ejection> _ejected = new(ReferenceEqualityComparer.Instance);
    private readonly TimeProvider _time;
    private int _count;

    public DestinationEjections(TimeProvider time)
    {
        _time = time;
    }

    private readonly record struct Ejection(long Since, long Until, EjectionReason Reason);

    /// <summary>Takes <paramref name="destination"/> out for <paramref name="period"/>; false if it already was.</summary>
    public bool Eject(DestinationState destination, TimeSpan period, EjectionReason reason)
    {
        long now = _time.GetTimestamp();
        var ejection = new Ejection(now, now + (long)(period.TotalSeconds * _time.TimestampFrequency), reason);
        bool added = false;
        _ejected.AddOrUpdate(destination, _ => { added = true; return ejection; }, (_, old) => old.Until >= ejection.Until ? old : ejection with { Since = old.Since });
        if (added)
        {
            Interlocked.Increment(ref _count);
        }

        return added;
    }

    /// <summary>Brings <paramref name="destination"/> back if it was taken out before <paramref name="probeStartedBefore"/> (a health check passed after it).</summary>
    public bool Restore(DestinationState destination, TimeSpan probeStartedBefore)
    {
        if (Volatile.Read(ref _count) == 0 || !_ejected.TryGetValue(destination, out var e))
        {
            return false;
        }

        long cutoff = _time.GetTimestamp() - (long)(probeStartedBefore.TotalSeconds * _time.TimestampFrequency);
        return e.Since <= cutoff && Remove(destination, e);
    }

    /// <summary>True while any destination is out (one read).</summary>
    public bool Any => Volatile.Read(ref _count) > 0;

    /// <summary>Brings <paramref name="destination"/> back now (it answered a request normally).</summary>
    public bool RestoreNow(DestinationState destination)
        => _ejected.TryGetValue(destination, out var e) && Remove(destination, e);

    /// <summary>True if <paramref name="destination"/> is out of rotation now.</summary>
    public bool IsEjected(DestinationState destination)
    {
        if (Volatile.Read(ref _count) == 0 || !_ejected.TryGetValue(destination, out var e))
        {
            return false;
        }

        if (_time.GetTimestamp() < e.Until)
        {
            return true;
        }

        Remove(destination, e);
        return false;
    }

    /// <summary>
    /// <paramref name="available"/> without the ejected destinations, unless that leaves none
    /// (then all of them: Envoy's panic threshold — a guess beats a certain 503).
    /// </summary>
    public IReadOnlyList<DestinationState> Filter(IReadOnlyList<DestinationState> available)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return available;
        }

        List<DestinationState>? kept = null;
        for (int i = 0; i < available.Count; i++)
        {
            if (IsEjected(available[i]))
            {
                if (kept is null)
                {
                    kept = new List<DestinationState>(available.Count);
                    for (int j = 0; j < i; j++)
                    {
                        kept.Add(available[j]);
                    }
                }
            }
            else
            {
                kept?.Add(available[i]);
            }
        }

        return kept is null ? available : kept.Count > 0 ? kept : available;
    }

    private bool Remove(DestinationState destination, Ejection e)
    {
        if (_ejected.TryRemove(new KeyValuePair<DestinationState, Ejection>(destination, e)))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }
}
