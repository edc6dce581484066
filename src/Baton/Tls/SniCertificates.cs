namespace Baton.Tls;

/// <summary>A PEM certificate (the leaf first, then any intermediates) and its PEM private key, as full paths.</summary>
/// <param name="Path">The certificate file: the leaf certificate, optionally followed by its chain (a "fullchain.pem").</param>
/// <param name="KeyPath">The private key file (PKCS#8, PKCS#1 or SEC1 PEM).</param>
public sealed record CertificateFiles(string Path, string KeyPath);

/// <summary>One <c>Sni</c> entry of a listener: the host name pattern and the certificate it selects.</summary>
/// <param name="HostName">An exact name (<c>api.example.com</c>), a wildcard (<c>*.example.com</c>: any name below it) or <c>*</c> (any name, and no name).</param>
/// <param name="Files">The certificate served to clients asking for that name.</param>
public sealed record SniCertificate(string HostName, CertificateFiles Files);

/// <summary>
/// The <c>Sni</c> section of a listener, in file order. Compared by value, so a reload that leaves it
/// as it was is not reported as a listener change.
/// </summary>
public sealed class SniCertificates : IEquatable<SniCertificates>
{
    public SniCertificates(IReadOnlyList<SniCertificate> entries) => Entries = entries;

    public IReadOnlyList<SniCertificate> Entries { get; }

    public bool Equals(SniCertificates? other) => other is not null && Entries.SequenceEqual(other.Entries);

    public override bool Equals(object? obj) => Equals(obj as SniCertificates);

    public override int GetHashCode() => Entries.Aggregate(Entries.Count, (h, e) => HashCode.Combine(h, e));
}
