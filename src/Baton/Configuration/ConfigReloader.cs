using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Baton.Configuration;

/// <summary>
/// Applies edits of the config file live (YARP picks up routes and clusters from the reloaded
/// configuration) and on SIGHUP. A new file is parsed and validated first: a broken edit is
/// rejected and logged, and the running configuration stays (a plain reload-on-change would
/// apply an empty configuration and drop every route). What Baton's validation lets through and
/// YARP then refuses (a route without a match, say) is reported as rejected too: YARP keeps its
/// previous routes, and tells this class so as an <see cref="IConfigChangeListener"/>. Listener
/// changes need an upgrade.
/// </summary>
internal sealed partial class ConfigReloader : IReloadHandler, IConfigChangeListener, IDisposable
{
    private readonly ConfigFileProvider _file;
    private readonly string _path;
    private readonly BatonSettings _running;
    private readonly ILogger _logger;
    private readonly PhysicalFileProvider _files;

    // inotify does not see a symlink swapped to a new target (how Kubernetes updates a mounted
    // ConfigMap); a polling watcher (every 4 s) compares the target's write time and does.
    private readonly PhysicalFileProvider _polled;
    private readonly object _gate = new();
    private IDisposable? _watch;
    private Timer? _debounce;
    private Exception? _yarpRefused;

    public ConfigReloader(IConfigurationRoot root, string path, BatonSettings running, ILogger<ConfigReloader> logger)
    {
        _file = root.Providers.OfType<ConfigFileProvider>().Single();
        _path = Path.GetFullPath(path);
        _running = running;
        _logger = logger;
        _files = new PhysicalFileProvider(Path.GetDirectoryName(_path)!) { UseActivePolling = false };
        _polled = new PhysicalFileProvider(Path.GetDirectoryName(_path)!) { UsePollingFileWatcher = true, UseActivePolling = true };
        Watch();
    }

    public void Reload(string source)
    {
        lock (_gate)
        {
            // Read once: the settings validated here are the ones applied, whatever the file holds by then.
            IDictionary<string, string?> settings;
            BatonSettings next;
            try
            {
                settings = ConfigLoader.Read(_path);
                next = ConfigValidator.Validate(ConfigLoader.Build(settings, _path), Path.GetDirectoryName(_path)!);
            }
            catch (ConfigException ex)
            {
                Log.Rejected(_logger, source, ex.Message.ReplaceLineEndings("; "));
                return;
            }
            catch (Exception ex)
            {
                // A reload runs on a timer or signal thread, where an escaping exception would end
                // the process: a bug in validation must cost the edit, never the running proxy.
                Log.Rejected(_logger, source, $"unexpected {ex.GetType().Name}: {ex.Message}");
                return;
            }

            // YARP applies the change inside Replace, on this thread, and keeps its previous
            // configuration when it refuses the new one.
            Volatile.Write(ref _yarpRefused, null);
            _file.Replace(settings);
            if (Interlocked.Exchange(ref _yarpRefused, null) is { } refused)
            {
                Log.Rejected(_logger, source, YarpErrors(refused));
                return;
            }

            var changed = ListenerDiff(_running, next);
            if (changed.Count > 0)
            {
                Log.ListenersNeedUpgrade(_logger, string.Join(", ", changed));
            }

            Log.Reloaded(_logger, source);
        }
    }

    void IConfigChangeListener.ConfigurationLoadingFailed(IProxyConfigProvider configProvider, Exception exception)
        => Volatile.Write(ref _yarpRefused, exception);

    void IConfigChangeListener.ConfigurationLoaded(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
    }

    void IConfigChangeListener.ConfigurationApplyingFailed(IReadOnlyList<IProxyConfig> proxyConfigs, Exception exception)
        => Volatile.Write(ref _yarpRefused, exception);

    void IConfigChangeListener.ConfigurationApplied(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
    }

    public void Dispose()
    {
        _watch?.Dispose();
        _debounce?.Dispose();
        _files.Dispose();
        _polled.Dispose();
    }

    private void Watch()
    {
        var name = Path.GetFileName(_path);
        _watch = ChangeToken.OnChange(() => new CompositeChangeToken([_files.Watch(name), _polled.Watch(name)]), () =>
        {
            // Editors write in several steps; act once the file has settled.
            _debounce?.Dispose();
            _debounce = new Timer(_ => Reload("file change"), null, TimeSpan.FromMilliseconds(150), Timeout.InfiniteTimeSpan);
        });
    }

    private static string YarpErrors(Exception ex)
    {
        var errors = ex is AggregateException all ? all.Flatten().InnerExceptions : [ex];
        return string.Join("; ", errors.Select(e => $"ReverseProxy: {e.Message}"));
    }

    private static List<string> ListenerDiff(BatonSettings running, BatonSettings next)
    {
        static IEnumerable<ListenerSettings> All(BatonSettings s) => s.Admin is null ? s.Listeners : s.Listeners.Append(s.Admin);
        var before = All(running).ToDictionary(l => l.Key);
        var after = All(next).ToDictionary(l => l.Key);
        var changed = new List<string>();
        foreach (var (key, l) in after)
        {
            if (!before.TryGetValue(key, out var old))
            {
                changed.Add($"{key} added");
            }
            else if (old != l)
            {
                changed.Add($"{key} changed");
            }
        }

        changed.AddRange(before.Keys.Where(k => !after.ContainsKey(k)).Select(k => $"{k} removed"));
        return changed;
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.ConfigReloaded, LogLevel.Information, "Configuration reloaded ({Source}); routes and clusters applied", EventName = nameof(BatonEventIds.ConfigReloaded))]
        public static partial void Reloaded(ILogger logger, string source);

        [LoggerMessage(BatonEventIds.ConfigReloadRejected, LogLevel.Error, "Configuration reload ({Source}) rejected, still running the previous one: {Error}", EventName = nameof(BatonEventIds.ConfigReloadRejected))]
        public static partial void Rejected(ILogger logger, string source, string error);

        [LoggerMessage(BatonEventIds.ListenerChangeNeedsUpgrade, LogLevel.Warning, "Listener changes are not applied by a reload: {Changes}; run 'baton upgrade' (or send SIGQUIT) to apply them", EventName = nameof(BatonEventIds.ListenerChangeNeedsUpgrade))]
        public static partial void ListenersNeedUpgrade(ILogger logger, string changes);
    }
}
