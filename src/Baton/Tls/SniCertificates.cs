namespace Baton.Tls;

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
