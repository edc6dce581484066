using System.Diagnostics.Metrics;
using Baton.Hosting.Diagnostics;
using Baton.Observability.AccessLog;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Baton.Observability.Metrics;

/// <summary>
/// Baton's proxy-side instruments on the "Baton" meter: upstream destination health from YARP's
/// live state (active and passive checks), and the access log's written and dropped lines. All
/// observed at collection time; the request path records nothing here.
/// </summary>
internal sealed class ObservabilityMeter : IDisposable
{
    private readonly Meter _meter = new(BatonMetrics.MeterName);

    public ObservabilityMeter(IProxyStateLookup proxy, AccessLogWriter? accessLog = null)
    {
        _meter.CreateObservableGauge("upstream.destination.healthy", () => Destinations(proxy), "{destination}",
            "1 when the destination is not marked unhealthy by an active or passive health check, else 0.");
        _meter.CreateObservableGauge("upstream.destinations.available", () => Available(proxy), "{destination}",
            "Destinations of the cluster that YARP may pick now.");
        if (accessLog is not null)
        {
            _meter.CreateObservableCounter("access_log.lines", () => accessLog.Written, "{line}", "Access-log lines written.");
            _meter.CreateObservableCounter("access_log.dropped", () => accessLog.Dropped, "{line}", "Access-log lines dropped because the writer fell behind (a full buffer never delays a request).");
        }
    }

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<int>> Destinations(IProxyStateLookup proxy)
    {
        foreach (var cluster in proxy.GetClusters())
        {
            foreach (var (id, destination) in cluster.Destinations)
            {
                var health = destination.Health;
                var healthy = health.Active != DestinationHealth.Unhealthy && health.Passive != DestinationHealth.Unhealthy;
                yield return new Measurement<int>(healthy ? 1 : 0, new("cluster", cluster.ClusterId), new("destination", id));
            }
        }
    }

    private static IEnumerable<Measurement<int>> Available(IProxyStateLookup proxy)
    {
        foreach (var cluster in proxy.GetClusters())
        {
            yield return new Measurement<int>(cluster.DestinationsState.AvailableDestinations.Count, new KeyValuePair<string, object?>("cluster", cluster.ClusterId));
        }
    }
}
