using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Baton.FunctionalTests.Infrastructure;

/// <summary>
/// Self-signed certificates made by the test itself (no machine store, no dev cert), written as
/// PEM files a Baton listener reads, and clients that trust exactly that certificate by thumbprint.
/// </summary>
public static class TestCertificates
{
    /// <summary>
    /// Creates an ECDSA P-256 certificate for <c>localhost</c> and <c>127.0.0.1</c> (and
    /// <paramref name="dnsNames"/>), valid for <paramref name="validFor"/> (90 days by default),
    /// writes <paramref name="certFile"/> and <paramref name="keyFile"/> (PEM) into
    /// <paramref name="directory"/>, and returns its SHA-256 thumbprint.
    /// </summary>
    public static string WritePem(string directory, string certFile = "cert.pem", string keyFile = "key.pem", string subject = "CN=baton-test", string[]? dnsNames = null, TimeSpan? validFor = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames ?? [])
        {
            san.AddDnsName(name);
        }

        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));

        var now = DateTimeOffset.UtcNow;
        using var cert = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validFor ?? TimeSpan.FromDays(90)));
        File.WriteAllText(Path.Combine(directory, certFile), cert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, keyFile), key.ExportPkcs8PrivateKeyPem());
        return Thumbprint(cert);
    }

    public static string Thumbprint(X509Certificate cert) => Convert.ToHexString(cert.GetCertHash(HashAlgorithmName.SHA256));

    /// <summary>
    /// An HTTPS client that accepts the server certificate with this SHA-256 thumbprint and no
    /// other (the test certificate is not trusted by the machine, so nothing else would pass).
    /// </summary>
    public static HttpClient PinnedClient(string thumbprint, Version version, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
            cert is not null && string.Equals(Thumbprint(cert), thumbprint, StringComparison.OrdinalIgnoreCase);
        return new HttpClient(handler)
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }
}
