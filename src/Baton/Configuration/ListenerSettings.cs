using System.Net;
using Baton.Hosting.Lifecycle;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Baton.Configuration;

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
