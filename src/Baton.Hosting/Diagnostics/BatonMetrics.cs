using System.Diagnostics.Metrics;
using Baton.Hosting.Draining;
using Baton.Hosting.Lifecycle;

namespace Baton.Hosting.Diagnostics;

/// <summary>
/// Baton's metrics on the .NET <see cref="Meter"/> "Baton" (what OpenTelemetry and prometheus-net
/// read). Everything is observed from the one lifecycle source and the tracker, so the request
/// path records nothing extra.
/// </summary>
public sealed class BatonMetrics : IDisposable
{
    /// <summary>The meter's name, to enable it in an exporter (OpenTelemetry, prometheus-net).</summary>
    public const string MeterName = "Baton";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _upgrades;

    /// <summary>Creates the meter and its instruments over the lifecycle's and the tracker's counts.</summary>
    public BatonMetrics(ILifecycle lifecycle, ConnectionTracker tracker, ProcessIdentity identity, ShutdownOutcome outcome)
    {
        _meter.CreateObservableGauge("lifecycle.phase", () => (int)lifecycle.Phase, description: "The lifecycle phase (LifecyclePhase as a number: 0 Starting, 1 Running, 2 GracePeriod, 3 Draining, 4 Aborting, 5 Stopped, 6 UpgradeStarting, 7 HandingOff, 8 UpgradeDraining).");
        _meter.CreateObservableGauge("ready", () => lifecycle.IsReady ? 1 : 0, description: "1 when readiness answers 200.");
        _meter.CreateObservableGauge("generation", () => identity.Generation, description: "This process's generation (1 + upgrades).");
        _meter.CreateObservableGauge("requests.in_flight", () => tracker.InFlight, "{request}", "Requests running now.");
        _meter.CreateObservableGauge("connections.open", () => tracker.OpenConnections, "{connection}", "Connections open now.");
        _meter.CreateObservableGauge("long_lived.open", () => tracker.LongLived, "{connection}", "WebSockets and other upgraded connections open now.");
        _meter.CreateObservableCounter("requests.served", () => tracker.Served, "{request}", "Requests completed.");
        _meter.CreateObservableCounter("requests.aborted", () => outcome.AbortedRequests, "{request}", "Requests aborted at the drain deadline.");
        _upgrades = _meter.CreateCounter<long>("upgrades", "{upgrade}", "Upgrades this process ran, by result (ready, rolled_back, refused).");
    }

    /// <summary>Counts one upgrade by its result.</summary>
    public void UpgradeFinished(string result) => _upgrades.Add(1, new KeyValuePair<string, object?>("result", result));

    /// <summary>Disposes the meter.</summary>
    public void Dispose() => _meter.Dispose();
}
