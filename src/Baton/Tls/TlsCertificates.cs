using Baton.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Baton.Tls;

/// <summary>
/// Every certificate of the config, loaded once per file pair, and each HTTPS listener's selector
/// over them. <see cref="Load"/> fails as a config error (before anything is bound); once
/// <see cref="Start"/>ed, each certificate reloads when its files change on disk — no upgrade, no
/// dropped connection — and a certificate that expires within <see cref="ExpiryWarning"/> is
/// warned about at load and then daily.
/// </summary>
public sealed partial class TlsCertificates : IDisposable
{
    /// <summary>
    /// How long before expiry a certificate is warned about: 14 days. Let's Encrypt certificates
    /// renew 30 days before expiry (certbot, cert-manager's 2/3 of 90 days), so a warning means
    /// renewal has failed for two weeks, and two weeks remain to fix it.
    /// </summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

    private static readonly TimeSpan s_expiryCheck = TimeSpan.FromHours(1);
    private static readonly TimeSpan s_warnAgain = TimeSpan.FromDays(1);

    private readonly Dictionary<CertificateFiles, ServerCertificate> _certificates;
    private readonly Dictionary<string, CertificateSelector> _selectors;
    private readonly object _gate = new();
    private ILogger? _logger;
    private TimeProvider _time = TimeProvider.System;
    private CertificateWatcher? _watcher;
    private ITimer? _expiryTimer;

    private TlsCertificates(Dictionary<CertificateFiles, ServerCertificate> certificates, Dictionary<string, CertificateSelector> selectors)
    {
        _certificates = certificates;
        _selectors = selectors;
    }

    /// <summary>The certificates, one per file pair.</summary>
    public IReadOnlyCollection<ServerCertificate> Certificates => _certificates.Values;

    /// <summary>Loads every certificate of every HTTPS listener.</summary>
    /// <exception cref="ConfigException">One line per certificate that does not load.</exception>
    public static TlsCertificates Load(BatonSettings settings)
    {
        var errors = new List<string>();
        var certificates = new Dictionary<CertificateFiles, ServerCertificate>();
        var selectors = new Dictionary<string, CertificateSelector>();
        foreach (var l in settings.Listeners.Where(l => l.IsTls))
        {
            var selector = new CertificateSelector();
            if (l.CertificatePath is not null && Get(new CertificateFiles(l.CertificatePath, l.KeyPath!), $"Baton:Listeners:{l.Key}:Certificate", l.Key) is { } main)
            {
                selector.AddDefault(main);
            }

            foreach (var sni in l.Sni?.Entries ?? [])
            {
                if (Get(sni.Files, $"Baton:Listeners:{l.Key}:Sni:{sni.HostName}:Certificate", $"{l.Key}:{sni.HostName}") is { } c)
                {
                    selector.Add(sni.HostName, c);
                }
            }

            selectors[l.Key] = selector;
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(string.Join(Environment.NewLine, errors));
        }

        return new TlsCertificates(certificates, selectors);

        ServerCertificate? Get(CertificateFiles files, string key, string use)
        {
            if (!certificates.TryGetValue(files, out var certificate))
            {
                if (CertificateLoader.TryLoad(files, out var error) is not { } loaded)
                {
                    errors.Add($"{key}: {error}");
                    return null;
                }

                certificates[files] = certificate = new ServerCertificate(files, loaded);
            }

            certificate.Uses.Add(use);
            return certificate;
        }
    }

    /// <summary>Serves HTTPS on <paramref name="listen"/> with the certificates of listener <paramref name="key"/>, chosen per handshake.</summary>
    public void UseHttps(ListenOptions listen, string key)
    {
        var selector = _selectors[key];
        listen.UseHttps(new TlsHandshakeCallbackOptions { OnConnection = selector.OnConnection });
    }

    /// <summary>Logs every certificate loaded, then watches their files and their expiry.</summary>
    public void Start(ILogger logger, TimeProvider? time = null)
    {
        _logger = logger;
        _time = time ?? TimeProvider.System;
        foreach (var certificate in _certificates.Values)
        {
            Loaded(certificate, "start");
        }

        if (_certificates.Count > 0)
        {
            _watcher = new CertificateWatcher(_certificates.Values, c => Reload(c, "file change"));
            _expiryTimer = _time.CreateTimer(_ => CheckExpiry(), null, s_expiryCheck, s_expiryCheck);
        }
    }

    /// <summary>Loads <paramref name="certificate"/>'s files again; swaps it in when they hold a valid, different certificate.</summary>
    public void Reload(ServerCertificate certificate, string source)
    {
        lock (_gate)
        {
            if (CertificateLoader.TryLoad(certificate.Files, out var error) is not { } next)
            {
                // A renewal writes the certificate and the key one after the other: the pair may not
                // match for a moment. The current certificate stays; the next change retries.
                Log.ReloadFailed(_logger!, string.Join(", ", certificate.Uses), error, certificate.Current.Thumbprint);
                return;
            }

            if (next.Thumbprint == certificate.Current.Thumbprint)
            {
                return;
            }

            certificate.Swap(next);
            Loaded(certificate, source);
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _expiryTimer?.Dispose();
    }

    private void Loaded(ServerCertificate certificate, string source)
    {
        var c = certificate.Current;
        Log.Loaded(_logger!, string.Join(", ", certificate.Uses), c.Leaf.Subject, c.NotAfter.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            c.Thumbprint, certificate.Files.Path, source);
        WarnIfExpiring(certificate);
    }

    private void CheckExpiry()
    {
        lock (_gate)
        {
            foreach (var certificate in _certificates.Values)
            {
                WarnIfExpiring(certificate);
            }
        }
    }

    private void WarnIfExpiring(ServerCertificate certificate)
    {
        var now = _time.GetUtcNow();
        var c = certificate.Current;
        var left = c.NotAfter - now;
        if (left > ExpiryWarning || (certificate.WarnedAt is { } warned && now - warned < s_warnAgain))
        {
            return;
        }

        certificate.WarnedAt = now;
        var notAfter = c.NotAfter.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        if (left <= TimeSpan.Zero)
        {
            Log.Expired(_logger!, string.Join(", ", certificate.Uses), c.Leaf.Subject, notAfter, certificate.Files.Path);
        }
        else
        {
            Log.ExpiresSoon(_logger!, string.Join(", ", certificate.Uses), c.Leaf.Subject, notAfter, Math.Round(left.TotalDays, 1), certificate.Files.Path);
        }
    }
}
