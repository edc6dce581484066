using System.Net;
using Baton.Hosting.Lifecycle;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Baton.Configuration;

/// <summary>The validated <c>Baton</c> section: what the process binds and how it stops.</summary>
/// <param name="Limits">Kestrel's server-wide limits (<c>Baton:Limits</c>); every value states its default.</param>
public sealed record BatonSettings(
    IReadOnlyList<ListenerSettings> Listeners,
    ListenerSettings? Admin,
    LifecycleOptions Lifecycle,
    Baton.Limits.LimitsSettings Limits)
{
    /// <summary><c>Baton:AccessLog</c>.</summary>
    public Observability.AccessLog.AccessLogOptions AccessLog { get; init; } = new();

    /// <summary><c>Baton:Telemetry</c> (OTLP export).</summary>
    public Observability.TelemetryOptions Telemetry { get; init; } = new();

    /// <summary>The rate-limiter, CORS and timeout policies routes name.</summary>
    public Policies.RoutePolicies Policies { get; init; } = new();

    /// <summary>What is valid but probably not meant (no route at all): printed by <c>check</c>, logged by <c>run</c>.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary><c>Baton:Memory</c>: the trim of an idle process's memory.</summary>
    public Proxy.MemorySettings Memory { get; init; } = new();

    /// <summary><c>Baton:Runtime</c>: the runtime switches Baton sets before its first socket.</summary>
    public Proxy.RuntimeSettings Runtime { get; init; } = new();

    /// <summary><c>Baton:Upstreams</c>: retries, the retry budget and draining-aware balancing per cluster.</summary>
    public Upstreams.UpstreamPolicies Upstreams { get; init; } = Baton.Upstreams.UpstreamPolicies.Empty;
}
