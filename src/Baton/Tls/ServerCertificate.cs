namespace Baton.Tls;

/// <summary>
/// One certificate and key pair of the config, as it is served now. A reload builds the new
/// certificate completely, then swaps the reference: a handshake sees the old or the new one,
/// never a mix, and connections already established keep the one they negotiated. The replaced
/// certificate is not disposed (a connection may still hold it); the GC collects it.
/// </summary>
public sealed class ServerCertificate
{
    private LoadedCertificate _current;

    internal ServerCertificate(CertificateFiles files, LoadedCertificate loaded)
    {
        Files = files;
        _current = loaded;
    }

    public CertificateFiles Files { get; }

    /// <summary>Where the config uses it: "secure" (a listener's Certificate) or "secure:api.example.com" (an Sni entry).</summary>
    public List<string> Uses { get; } = new();

    /// <summary>What the next handshake serves.</summary>
    public LoadedCertificate Current => Volatile.Read(ref _current);

    /// <summary>When the expiry warning was last logged for the current certificate.</summary>
    internal DateTimeOffset? WarnedAt { get; set; }

    internal void Swap(LoadedCertificate next)
    {
        Volatile.Write(ref _current, next);
        WarnedAt = null;
    }
}
