using System.Net;
using Baton.Configuration;
using Microsoft.Extensions.Configuration;

namespace Baton.Tls;

/// <summary>
/// Reads a listener's <c>Sni</c> section, Kestrel's own shape:
/// <c>"Sni": { "api.example.com": { "Certificate": { "Path": "api.pem", "KeyPath": "api.key" } }, "*.example.com": { … } }</c>.
/// Every problem is one line naming the key, the value and what is allowed.
/// </summary>
internal static class SniConfig
{
    private static readonly string[] s_entryKeys = ["Certificate"];
    private static readonly string[] s_certificateKeys = ["Path", "KeyPath"];

    /// <summary>The entries of <paramref name="section"/>, or null when it is absent.</summary>
    public static SniCertificates? Read(List<string> errors, IConfigurationSection section, string baseDirectory)
    {
        if (!section.Exists())
        {
            return null;
        }

        int before = errors.Count;
        var entries = new List<SniCertificate>();
        foreach (var entry in section.GetChildren())
        {
            if (HostNameProblem(entry.Key) is { } problem)
            {
                errors.Add($"{entry.Path}: host name '{entry.Key}' {problem}");
                continue;
            }

            UnknownKeys.Check(errors, entry, s_entryKeys);
            var certificate = entry.GetSection("Certificate");
            if (!certificate.Exists())
            {
                errors.Add($"{entry.Path}:Certificate is missing; e.g. \"Certificate\": {{ \"Path\": \"{entry.Key.TrimStart('*', '.')}.pem\", \"KeyPath\": \"{entry.Key.TrimStart('*', '.')}.key\" }}");
                continue;
            }

            UnknownKeys.Check(errors, certificate, s_certificateKeys);
            var path = ConfigValidator.ExistingFile(errors, certificate, "Path", baseDirectory);
            var key = ConfigValidator.ExistingFile(errors, certificate, "KeyPath", baseDirectory);
            if (path is not null && key is not null)
            {
                entries.Add(new SniCertificate(entry.Key.ToLowerInvariant(), new CertificateFiles(path, key)));
            }
        }

        if (entries.Count == 0 && errors.Count == before)
        {
            errors.Add($"{section.Path}: no entry; add one per host name, e.g. \"api.example.com\": {{ \"Certificate\": {{ \"Path\": \"api.pem\", \"KeyPath\": \"api.key\" }} }}, or remove Sni");
        }

        return new SniCertificates(entries);
    }

    /// <summary>Why <paramref name="name"/> cannot be an SNI pattern, or null when it can.</summary>
    internal static string? HostNameProblem(string name)
    {
        const string Allowed = "allowed a DNS name (api.example.com), a wildcard for the names below one (*.example.com) or * (every name, and clients that send none)";
        if (name == "*")
        {
            return null;
        }

        if (IPAddress.TryParse(name.Trim('[', ']'), out _))
        {
            return "is an IP address, which TLS clients never send as a server name (RFC 6066); serve it with the listener's Certificate or \"*\"";
        }

        var dns = name.StartsWith("*.", StringComparison.Ordinal) ? name[2..] : name;
        if (dns.Length is 0 or > 253 || dns.Split('.').Any(label => !IsLabel(label)))
        {
            return $"is not a host name; {Allowed}";
        }

        return null;
    }

    private static bool IsLabel(string label)
        => label.Length is >= 1 and <= 63
            && label[0] != '-' && label[^1] != '-'
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
