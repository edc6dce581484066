using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Baton.Tls;

/// <summary>
/// Chooses a listener's certificate per handshake from the client's server name (SNI), in this
/// order: the exact name, then the longest matching wildcard (<c>*.example.com</c> matches any
/// name below example.com, not example.com itself), then <c>*</c>, then the listener's
/// <c>Certificate</c>. No match refuses the handshake. Kestrel's own SNI selector works the same way.
/// </summary>
internal sealed class CertificateSelector
{
    private readonly Dictionary<string, ServerCertificate> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(string Suffix, ServerCertificate Certificate)> _wildcards = new();
    private ServerCertificate? _fallback;

    public void Add(string hostName, ServerCertificate certificate)
    {
        if (hostName == "*")
        {
            _fallback = certificate;
        }
        else if (hostName.StartsWith("*.", StringComparison.Ordinal))
        {
            _wildcards.Add((hostName[1..], certificate));
            _wildcards.Sort((a, b) => b.Suffix.Length.CompareTo(a.Suffix.Length));
        }
        else
        {
            _exact[hostName] = certificate;
        }
    }

    public void AddDefault(ServerCertificate certificate) => _fallback = certificate;

    /// <summary>The certificate for <paramref name="serverName"/> (null or empty when the client sent none).</summary>
    public ServerCertificate? Select(string? serverName)
    {
        if (!string.IsNullOrEmpty(serverName))
        {
            if (_exact.TryGetValue(serverName, out var exact))
            {
                return exact;
            }

            foreach (var (suffix, certificate) in _wildcards)
            {
                if (serverName.Length > suffix.Length && serverName.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                {
                    return certificate;
                }
            }
        }

        return _fallback;
    }

    /// <summary>Kestrel's per-handshake callback: the chosen certificate's prebuilt context (Kestrel adds ALPN).</summary>
    public ValueTask<SslServerAuthenticationOptions> OnConnection(TlsHandshakeCallbackContext context)
    {
        var name = context.ClientHelloInfo.ServerName;
        var certificate = Select(name)
            ?? throw new AuthenticationException($"no certificate for server name '{name}'");
        return ValueTask.FromResult(new SslServerAuthenticationOptions { ServerCertificateContext = certificate.Current.Context });
    }
}
