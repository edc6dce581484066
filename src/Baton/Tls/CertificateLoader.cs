using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Baton.Tls;

/// <summary>A certificate as served: the leaf with its key, and the handshake context built once (chain included).</summary>
/// <param name="Leaf">The server certificate, with its private key.</param>
/// <param name="Context">What every handshake sends: the leaf and the intermediates from the same file, built once, offline.</param>
/// <param name="Thumbprint">SHA-256 of the leaf, hex: what the logs print and clients pin.</param>
public sealed record LoadedCertificate(X509Certificate2 Leaf, SslStreamCertificateContext Context, string Thumbprint)
{
    /// <summary>When the leaf stops being valid.</summary>
    public DateTimeOffset NotAfter => new(Leaf.NotAfter.ToUniversalTime());
}

/// <summary>Loads a PEM certificate and key pair; a failure is a value (the reason, one line), never a half-loaded certificate.</summary>
internal static class CertificateLoader
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    /// <summary>Loads <paramref name="files"/>; returns null and <paramref name="error"/> when they do not make a server certificate.</summary>
    public static LoadedCertificate? TryLoad(CertificateFiles files, out string error)
    {
        try
        {
            return Load(files, out error);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Reloads run on a timer thread, where an escaping exception would end the process:
            // whatever a file holds must cost the reload, never the running proxy.
            error = $"cannot load '{files.Path}' with key '{files.KeyPath}': {ex.GetType().Name}: {ex.Message.TrimEnd('.')}";
            return null;
        }
    }

    private static LoadedCertificate? Load(CertificateFiles files, out string error)
    {
        error = "";
        X509Certificate2 leaf;
        var chain = new X509Certificate2Collection();
        try
        {
            leaf = X509Certificate2.CreateFromPemFile(files.Path, files.KeyPath);
            chain.ImportFromPemFile(files.Path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            error = $"cannot load '{files.Path}' with key '{files.KeyPath}': {ex.Message.TrimEnd('.')}";
            return null;
        }

        if (!leaf.HasPrivateKey)
        {
            error = $"'{files.KeyPath}' holds no private key for '{files.Path}'";
            return null;
        }

        // As Kestrel: a certificate that names its uses must include server authentication.
        var usages = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<Oid>()).ToList();
        if (usages.Count > 0 && !usages.Any(u => u.Value == ServerAuthentication))
        {
            error = $"'{files.Path}' is not for servers: its extended key usage lacks serverAuth ({ServerAuthentication})";
            return null;
        }

        // The file's other certificates are the chain sent after the leaf (a "fullchain.pem").
        var intermediates = new X509Certificate2Collection();
        foreach (var c in chain)
        {
            if (!c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
            {
                intermediates.Add(c);
            }
        }

        // offline: the chain is built from what the file holds, never fetched at start or reload.
        var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        return new LoadedCertificate(leaf, context, leaf.GetCertHashString(HashAlgorithmName.SHA256));
    }
}
