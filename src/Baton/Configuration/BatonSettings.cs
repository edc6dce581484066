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

    /// <summary><c>Baton:Upstreams</c>: retries, the retry budget and draining-aware balancing per cluster.</summary>
    public Upstreams.UpstreamPolicies Upstreams { get; init; } = Baton.Upstreams.UpstreamPolicies.Empty;
}

/// <summary>One listener of <c>Baton:Listeners</c> (or the admin listener).</summary>
/// <param name="Key">The listener's name in the config; a new process adopts the socket by it.</param>
/// <param name="Address">The address as written.</param>
/// <param name="EndPoint">The parsed address (IP or Unix socket).</param>
/// <param name="Protocols">Kestrel's protocols; on a plain listener <c>Http2</c> means h2c with prior knowledge.</param>
/// <param name="CertificatePath">PEM certificate, for HTTPS.</param>
/// <param name="KeyPath">PEM private key, for HTTPS.</param>
/// <param name="HealthEndpoints">Serve <c>/livez</c>, <c>/readyz</c>, <c>/health</c> here too.</param>
/// <param name="Backlog">The listen backlog (set explicitly; the kernel caps it at <c>net.core.somaxconn</c>).</param>
/// <param name="Sni">Certificates chosen by the TLS client's server name (<c>Sni</c>), besides the default one.</param>
/// <param name="MaxConnections">Open connections this listener accepts at once; null: no limit (Kestrel's default).</param>
public sealed record ListenerSettings(
    string Key,
    string Address,
    EndPoint EndPoint,
    HttpProtocols Protocols,
    string? CertificatePath,
    string? KeyPath,
    bool HealthEndpoints,
    int Backlog,
    Baton.Tls.SniCertificates? Sni = null,
    int? MaxConnections = null)
{
    /// <summary>
    /// The key under which the admin listener is handed to a new process. Names starting with
    /// <c>@</c> are reserved: <c>Baton:Listeners</c> refuses them.
    /// </summary>
    public const string AdminKey = "@admin";

    /// <summary>True for the listener of <c>Baton:Admin</c> (the control endpoints): set by the validator, never inferred from <see cref="Key"/>.</summary>
    public bool IsAdmin { get; init; }

    /// <summary>True for HTTPS.</summary>
    public bool IsTls => CertificatePath is not null || Sni is { Entries.Count: > 0 };
}
