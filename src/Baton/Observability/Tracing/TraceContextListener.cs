using System.Diagnostics;

namespace Baton.Observability.Tracing;

/// <summary>
/// W3C trace context without an exporter: ASP.NET Core starts a request activity only when its
/// <c>ActivitySource</c> has a listener. This listener asks for propagation data only (no tags,
/// nothing recorded), so every request gets a trace id — the client's <c>traceparent</c> when it
/// sent one, a new one otherwise — which the access log prints and YARP's HTTP client passes on
/// to the upstream as a fresh <c>traceparent</c>. With OTLP traces on, OpenTelemetry's listener
/// does this instead.
/// </summary>
internal sealed class TraceContextListener : IDisposable
{
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
    };

    public TraceContextListener() => ActivitySource.AddActivityListener(_listener);

    public void Dispose() => _listener.Dispose();
}
