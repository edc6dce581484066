using Baton.Hosting.Health;
using OpenTelemetry.Metrics;

namespace Baton.Observability.Metrics;

/// <summary>
/// <c>GET /metrics</c> on the admin listener, in the Prometheus text format: Baton's lifecycle
/// instruments, ASP.NET Core's and Kestrel's request and connection meters (with YARP's route,
/// cluster and destination added), System.Net.Http's upstream meters, the runtime's, and upstream
/// destination health — aggregated by the OpenTelemetry SDK, rendered by <see cref="PrometheusText"/>.
/// </summary>
internal sealed class MetricsEndpoint : IAdminEndpoint
{
    private readonly PrometheusReader _reader;

    public MetricsEndpoint(PrometheusReader reader, MeterProvider provider)
    {
        // Resolving the provider starts the meter listener: metrics count from the start.
        _ = provider;
        _reader = reader;
    }

    public string Path => "/metrics";

    public async Task HandleAsync(HttpContext context)
    {
        var text = _reader.Scrape();
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }
}
