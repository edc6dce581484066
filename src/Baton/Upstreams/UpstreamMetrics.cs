using System.Diagnostics;
using System.Diagnostics.Metrics;
using Baton.Hosting.Diagnostics;

namespace Baton.Upstreams;

/// <summary>Retries, refused retries, ejections and replays, on the "Baton" meter (exported on <c>/metrics</c>).</summary>
internal sealed class UpstreamMetrics : IDisposable
{
    private readonly Meter _meter = new(BatonMetrics.MeterName);
    private readonly Counter<long> _retries;
    private readonly Counter<long> _notRetried;
    private readonly Counter<long> _ejections;
    private readonly Counter<long> _replays;

    public UpstreamMetrics()
    {
        _retries = _meter.CreateCounter<long>("upstream.retries", "{retry}", "Retries sent to a destination, by cluster and the failure that caused them.");
        _notRetried = _meter.CreateCounter<long>("upstream.retries_refused", "{request}", "Failed tries that were not retried, by cluster, failure and why (budget, tries, method, body).");
        _ejections = _meter.CreateCounter<long>("upstream.ejections", "{ejection}", "Destinations taken out of rotation, by cluster and reason.");
        _replays = _meter.CreateCounter<long>("upstream.replays", "{request}", "Requests a draining app handed back, by cluster and outcome (replayed, rejected).");
    }

    public void Retried(string cluster, TryFailure failure)
        => _retries.Add(1, new TagList { { "cluster", cluster }, { "failure", failure.Name() } });

    public void NotRetried(string cluster, TryFailure failure, string why)
        => _notRetried.Add(1, new TagList { { "cluster", cluster }, { "failure", failure.Name() }, { "why", why } });

    public void Ejected(string cluster, EjectionReason reason)
        => _ejections.Add(1, new TagList { { "cluster", cluster }, { "reason", reason == EjectionReason.Draining ? "draining" : "connect_failure" } });

    public void Replay(string cluster, bool replayed)
        => _replays.Add(1, new TagList { { "cluster", cluster }, { "outcome", replayed ? "replayed" : "rejected" } });

    public void Dispose() => _meter.Dispose();
}
