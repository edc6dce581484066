namespace Baton.Observability;

/// <summary>
/// <c>Baton:Telemetry</c>: optional OTLP export (OpenTelemetry's protocol) of traces and metrics,
/// next to <c>/metrics</c> on the admin listener, which is always there. Off unless an endpoint is set.
/// </summary>
public sealed record TelemetryOptions
{
    /// <summary>The OTLP collector, e.g. <c>http://127.0.0.1:4318</c> (HTTP) or <c>http://127.0.0.1:4317</c> (gRPC). Defaults to none: no export.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c> (OTLP's names). Defaults to <c>http/protobuf</c>, which needs no HTTP/2 to the collector.</summary>
    public string OtlpProtocol { get; init; } = "http/protobuf";

    /// <summary>Export traces (server span per request, client span per upstream try). Defaults to true when an endpoint is set.</summary>
    public bool Traces { get; init; } = true;

    /// <summary>Export metrics. Defaults to true when an endpoint is set.</summary>
    public bool Metrics { get; init; } = true;

    /// <summary>How often metrics are pushed. Defaults to 60 s (OpenTelemetry's default).</summary>
    public TimeSpan MetricsExportInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The <c>service.name</c> resource attribute. Defaults to <c>baton</c>.</summary>
    public string ServiceName { get; init; } = "baton";
}
