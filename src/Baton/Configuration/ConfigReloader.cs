using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Baton.Configuration;

/// <summary>
/// Applies edits of the config file live (YARP picks up routes and clusters from the reloaded
/// configuration) and on SIGHUP. A new file is parsed and validated first: a broken edit is
/// rejected and logged, and the running configuration stays (a plain reload-on-change would
/// apply an empty configuration and drop every route). Listener changes need an upgrade.
/// </summary>
internal sealed partial class ConfigReloader : IReloadHandler, IDisposable
{
    private readonly ConfigFileProvider _file;
    private readonly string _path;
    private readonly BatonSettings _running;
    private readonly ILogger _logger;
    private readonly PhysicalFileProvider _files;
    private readonly object _gate = new();
    private IDisposable? _watch;
    private Timer? _debounce;

    public ConfigReloader(IConfigurationRoot root, string path, BatonSettings running, ILogger<ConfigReloader> logger)
    {
        _file = root.Providers.OfType<ConfigFileProvider>().Single();
        _path = Path.GetFullPath(path);
        _running = running;
        _logger = logger;
        _files = new PhysicalFileProvider(Path.GetDirectoryName(_path)!) { UseActivePolling = false };
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
                next = ConfigValidator.Validate(ConfigLoader.Build(settings), Path.GetDirectoryName(_path)!);
            }
            catch (ConfigException ex)
            {
                Log.Rejected(_logger, source, ex.Message.ReplaceLineEndings("; "));
                return;
            }

            _file.Replace(settings);
            var changed = ListenerDiff(_running, next);
            if (changed.Count > 0)
            {
                Log.ListenersNeedUpgrade(_logger, string.Join(", ", changed));
            }

            Log.Reloaded(_logger, source);
        }
    }

    public void Dispose()
    {
        _watch?.Dispose();
        _debounce?.Dispose();
        _files.Dispose();
    }

    private void Watch()
    {
        _watch = ChangeToken.OnChange(() => _files.Watch(Path.GetFileName(_path)), () =>
        {
            // Editors write in several steps; act once the file has settled.
            _debounce?.Dispose();
            _debounce = new Timer(_ => Reload("file change"), null, TimeSpan.FromMilliseconds(150), Timeout.InfiniteTimeSpan);
        });
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
