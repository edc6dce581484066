using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Primitives;

namespace Baton.Tls;

/// <summary>
/// Watches the certificate and key files and calls back once per certificate when either changed
/// and the files settled (150 ms, as the config reloader: renewal tools write several files). As
/// the config reloader, it combines inotify (at once) with a 4 s poll, which also sees a symlink
/// swapped to a new target — how certbot's <c>live/</c> links and Kubernetes Secret volumes update.
/// </summary>
internal sealed class CertificateWatcher : IDisposable
{
    private static readonly TimeSpan s_settle = TimeSpan.FromMilliseconds(150);
    private readonly List<PhysicalFileProvider> _providers = new();
    private readonly List<IDisposable> _watches = new();
    private readonly List<Timer> _timers = new();
    private readonly object _gate = new();
    private bool _disposed;

    public CertificateWatcher(IEnumerable<ServerCertificate> certificates, Action<ServerCertificate> changed)
    {
        var byDirectory = new Dictionary<string, (PhysicalFileProvider Events, PhysicalFileProvider Polled)>();
        foreach (var certificate in certificates)
        {
            var files = new[] { certificate.Files.Path, certificate.Files.KeyPath }
                .Select(f => (Directory: Path.GetDirectoryName(f)!, Name: Path.GetFileName(f)))
                .ToArray();
            foreach (var (directory, _) in files)
            {
                if (!byDirectory.ContainsKey(directory))
                {
                    var events = new PhysicalFileProvider(directory, ExclusionFilters.None) { UseActivePolling = false };
                    var polled = new PhysicalFileProvider(directory, ExclusionFilters.None) { UsePollingFileWatcher = true, UseActivePolling = true };
                    _providers.Add(events);
                    _providers.Add(polled);
                    byDirectory[directory] = (events, polled);
                }
            }

            var settle = new Timer(_ => changed(certificate), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timers.Add(settle);
            _watches.Add(ChangeToken.OnChange(
                () => new CompositeChangeToken(files.SelectMany(f => new[] { byDirectory[f.Directory].Events.Watch(f.Name), byDirectory[f.Directory].Polled.Watch(f.Name) }).ToArray()),
                () =>
                {
                    lock (_gate)
                    {
                        if (!_disposed)
                        {
                            settle.Change(s_settle, Timeout.InfiniteTimeSpan);
                        }
                    }
                }));
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _watches.ForEach(w => w.Dispose());
        _timers.ForEach(t => t.Dispose());
        _providers.ForEach(p => p.Dispose());
    }
}
