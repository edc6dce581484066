namespace Baton.Tls;

/// <summary>A PEM certificate (the leaf first, then any intermediates) and its PEM private key, as full paths.</summary>
/// <param name="Path">The certificate file: the leaf certificate, optionally followed by its chain (a "fullchain.pem").</param>
/// <param name="KeyPath">The private key file (PKCS#8, PKCS#1 or SEC1 PEM).</param>
public sealed record CertificateFiles(string Path, string KeyPath);
