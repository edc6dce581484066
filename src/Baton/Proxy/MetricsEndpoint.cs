using Baton.Hosting.Diagnostics;
using Baton.Hosting.Health;
using Prometheus;

namespace Baton.Proxy;

/// <summary>
/// <c>GET /metrics</c> on the admin listener: Baton's meter (and process/GC statistics) in the
/// Prometheus text format, via prometheus-net. Only the "Baton" meter is bridged, so Kestrel's and
/// YARP's per-request instruments stay off the hot path.
/// </summary>
internal sealed class MetricsEndpoint : IAdminEndpoint
{
    private static int s_configured;

    public MetricsEndpoint(BatonMetrics metrics)
    {
        _ = metrics; // created before the adapter starts listening
        if (Interlocked.Exchange(ref s_configured, 1) == 0)
        {
            // No EventCounter bridge: it would enable Kestrel's and YARP's EventSources.
            Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressDebugMetrics = true });
            Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = i => i.Meter.Name == BatonMetrics.MeterName);
        }
    }

    public string Path => "/metrics";

    public async Task HandleAsync(HttpContext context)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
