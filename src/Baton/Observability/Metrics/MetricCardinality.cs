using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace Baton.Observability.Metrics;

/// <summary>
/// The most distinct tag sets each metric keeps (OpenTelemetry's cardinality limit; what goes past
/// it is counted under one <c>otel.metric.overflow</c> point, never dropped).
/// </summary>
/// <remarks>
/// OpenTelemetry allocates the limit's worth of points for every instrument up front (72 bytes
/// each), so its default of 2,000 costs 144 KB per instrument: 7.8 MB of the heap for the 54
/// instruments Baton's meters, Kestrel, ASP.NET Core, HttpClient and the runtime publish — the
/// largest single item of an idle Baton's memory (bench/PROFILE.md, "Memory"). The limit follows
/// what an instrument's tags can be: fixed sets for the runtime, Kestrel and the lifecycle gauges,
/// the config's clusters and destinations for the upstream and client instruments, and the
/// product of routes, methods and statuses only for the two request-duration histograms.
/// </remarks>
internal static class MetricCardinality
{
    /// <summary>Instruments whose tags are fixed sets (GC generation, lock kind, Kestrel's protocol and listener, lifecycle gauges): 100.</summary>
    public const int Fixed = 100;

    /// <summary>Instruments tagged by cluster, destination or rate-limiting policy: 500 (e.g. 100 destinations × 5 connection states).</summary>
    public const int PerConfig = 500;

    /// <summary>The two request-duration histograms (route or destination × method × status × protocol): OpenTelemetry's default of 2,000.</summary>
    public const int PerRequest = 2000;

    /// <summary>The view: the cardinality limit of <paramref name="instrument"/>.</summary>
    public static MetricStreamConfiguration? View(Instrument instrument) => Limit(instrument) switch
    {
        PerRequest => null, // OpenTelemetry's default
        var limit => new MetricStreamConfiguration { CardinalityLimit = limit },
    };

    /// <summary>The most tag sets <paramref name="instrument"/> keeps.</summary>
    public static int Limit(Instrument instrument) => (instrument.Meter.Name, instrument.Name) switch
    {
        ("Microsoft.AspNetCore.Hosting", "http.server.request.duration") or ("System.Net.Http", "http.client.request.duration") => PerRequest,
        ("System.Net.Http" or "Microsoft.AspNetCore.RateLimiting", _) => PerConfig,
        (Baton.Hosting.Diagnostics.BatonMetrics.MeterName, var name) when name.StartsWith("upstream.", StringComparison.Ordinal) => PerConfig,
        _ => Fixed,
    };
}
