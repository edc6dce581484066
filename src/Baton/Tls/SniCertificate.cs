namespace Baton.Tls;

/// <summary>One <c>Sni</c> entry of a listener: the host name pattern and the certificate it selects.</summary>
/// <param name="HostName">An exact name (<c>api.example.com</c>), a wildcard (<c>*.example.com</c>: any name below it) or <c>*</c> (any name, and no name).</param>
/// <param name="Files">The certificate served to clients asking for that name.</param>
public sealed record SniCertificate(string HostName, CertificateFiles Files);
