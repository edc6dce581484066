using Baton.Configuration;
using Baton.Hosting;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Draining;
using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Baton.Limits;
using Baton.Tls;
using Baton.Observability;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Console;
using Yarp.ReverseProxy.Forwarder;

namespace Baton.Proxy;

/// <summary>How <c>baton run</c> was asked to run.</summary>
/// <param name="ConfigPath">The JSON config file.</param>
/// <param name="JsonLogs">Structured JSON logs on stdout instead of single lines.</param>
/// <param name="Upgrade">Take the listeners over from the running Baton on <c>Lifecycle:SocketPath</c>.</param>
/// <param name="Supervise">Run as the supervisor of a serving worker (automatic as PID 1).</param>
public sealed record RunOptions(string ConfigPath, bool JsonLogs, bool Upgrade, bool Supervise = false);

/// <summary>
/// The composition root of <c>baton run</c>: validate everything, build Kestrel + YARP, claim the
/// listeners (adopting handed-in sockets), start, report ready, wait for the drain, and turn the
/// outcome into the exit code. Only this class decides exit codes.
/// </summary>
public static partial class ProxyHost
{
    public static async Task<int> RunAsync(RunOptions run)
    {
        IConfigurationRoot root;
        BatonSettings settings;
        TlsCertificates certificates;
        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(run.ConfigPath))!;
        using var intake = HandoffIntake.FromEnvironment(run.Upgrade);
        if (intake.Error is { } intakeError)
        {
            Console.Error.WriteLine($"baton: {intakeError}");
            await intake.ReportFailureAsync(intakeError).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            root = ConfigLoader.Load(run.ConfigPath);
            settings = ConfigValidator.Validate(root, baseDirectory);
            certificates = TlsCertificates.Load(settings);
        }
        catch (ConfigException ex)
        {
            await intake.ReportFailureAsync($"config error: {ex.Message.ReplaceLineEndings("; ")}").ConfigureAwait(false);
            return ConfigError(ex.Message);
        }

        if ((run.Supervise || Environment.ProcessId == 1) && !intake.Supervised && intake.Mode is IntakeMode.None or IntakeMode.Systemd)
        {
            return await SuperviseAsync(run, settings, intake).ConfigureAwait(false);
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "baton", ContentRootPath = baseDirectory });
        builder.Configuration.AddConfiguration(root, shouldDisposeConfiguration: false);
        ConfigureLogging(builder.Logging, run.JsonLogs);

        builder.Services.AddRouting();
        // Session-affinity cookies are protected with a per-process key (no key ring on disk).
        builder.Services.AddSingleton<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>(new Microsoft.AspNetCore.DataProtection.EphemeralDataProtectionProvider());
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(certificates);
        builder.Services.AddBatonLifecycle(o => Copy(settings.Lifecycle, o));
        builder.Services.AddSingleton<IReloadHandler>(sp => new ConfigReloader(root, run.ConfigPath, settings, sp.GetRequiredService<ILogger<ConfigReloader>>()));
        builder.Services.AddSingleton<Yarp.ReverseProxy.Configuration.IConfigChangeListener>(sp => (ConfigReloader)sp.GetRequiredService<IReloadHandler>());
        builder.Services.AddBatonObservability(settings);
        builder.Services.AddSingleton<UpstreamPools>();
        builder.Services.AddSingleton<IForwarderHttpClientFactory>(sp => sp.GetRequiredService<UpstreamPools>());
        builder.Services.AddSingleton<IPostDrainStep>(sp => sp.GetRequiredService<UpstreamPools>());
        builder.Services.AddReverseProxy().LoadFromConfig(root.GetSection("ReverseProxy"));
        builder.Services.AddBatonUpgrades(intake, settings.Lifecycle.EnableZeroDowntime);

        // WebApplication resolves the server (and so Kestrel's options) while it is built, before
        // the listeners are claimed; the options instance is kept and the handles added later.
        KestrelServerOptions? kestrel = null;
        builder.Services.Configure<SocketTransportOptions>(o => o.Backlog = AllListeners(settings).Max(l => l.Backlog));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            settings.Limits.ApplyTo(k.Limits);
            kestrel = k;
        });

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Baton");
        var table = app.Services.GetRequiredService<ListenerTable>();
        app.Services.StartBatonObservability(); // metrics, trace context and the access log from the start
        try
        {
            app.UseBatonObservability();
            app.UseBatonLifecycle();
            app.MapReverseProxy(proxy =>
            {
                proxy.UseSessionAffinity();
                proxy.UseLoadBalancing();
                proxy.UsePassiveHealthChecks();
                proxy.UseBatonUpstreamTiming();
            });
        }
        catch (InvalidOperationException ex) when (ex.InnerException is not null)
        {
            await intake.ReportFailureAsync($"config error: {YarpErrors(ex).ReplaceLineEndings("; ")}").ConfigureAwait(false);
            return ConfigError(YarpErrors(ex));
        }

        var plan = new List<(ListenerSettings Settings, OwnedListener Owned)>();
        try
        {
            try
            {
                await intake.ReceiveAsync(table, settings.Lifecycle.SocketPath, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (HandoffException ex)
            {
                Console.Error.WriteLine($"baton: {ex.Message}");
                await intake.ReportFailureAsync(ex.Message).ConfigureAwait(false);
                table.Dispose();
                return ExitCodes.Usage;
            }

            if (intake.Generation is { } generation)
            {
                app.Services.GetRequiredService<ProcessIdentity>().Generation = generation;
            }

            foreach (var l in AllListeners(settings))
            {
                plan.Add((l, table.Claim(l.Key, l.EndPoint, l.Backlog)));
            }

            foreach (var (l, owned) in plan)
            {
                AddListener(kestrel ?? app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value, l, owned, certificates, app.Services);
            }

            table.CloseUnclaimed();
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            Log.StartFailed(logger, ex.Message);
            await intake.ReportFailureAsync(ex.Message).ConfigureAwait(false);
            table.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            return ExitCodes.Error;
        }

        var lifecycle = app.Services.GetRequiredService<LifecycleState>();
        foreach (var (l, owned) in plan)
        {
            Log.Listening(logger, l.Key, owned.EndPoint.ToString() ?? l.Address, l.Protocols.ToString(), l.IsTls ? "https" : "http");
        }

        // The reloader watches the file from its construction: create it now, not at the first SIGHUP.
        _ = app.Services.GetRequiredService<IReloadHandler>();
        certificates.Start(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<TlsCertificates>());
        lifecycle.TryTransition(LifecyclePhase.Running, "listeners accepting");
        await app.Services.GetRequiredService<ReadyAnnouncer>().AnnounceAsync().ConfigureAwait(false);
        Log.Started(logger, Environment.ProcessId, app.Services.GetRequiredService<ProcessIdentity>().Generation);

        await app.WaitForShutdownAsync().ConfigureAwait(false);
        var outcome = app.Services.GetRequiredService<ShutdownOutcome>();
        await app.DisposeAsync().ConfigureAwait(false);
        certificates.Dispose();
        table.Dispose();
        return outcome.ExitCode;
    }

    /// <summary><c>baton run --supervise</c> (and PID 1): own the listeners, run the proxy in a worker under this process.</summary>
    private static async Task<int> SuperviseAsync(RunOptions run, BatonSettings settings, HandoffIntake intake)
    {
        using var loggers = LoggerFactory.Create(b => ConfigureLogging(b, run.JsonLogs));
        using var table = new ListenerTable(loggers.CreateLogger<ListenerTable>());
        try
        {
            await intake.ReceiveAsync(table, settings.Lifecycle.SocketPath, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            foreach (var l in AllListeners(settings))
            {
                table.Claim(l.Key, l.EndPoint, l.Backlog);
            }

            table.CloseUnclaimed();
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or HandoffException)
        {
            Console.Error.WriteLine($"baton: {ex.Message}");
            return ExitCodes.Error;
        }

        var supervisor = new Supervisor(table, UpgradeCommandLine.Resolve(settings.Lifecycle.UpgradeCommand), settings.Lifecycle,
            new Systemd(loggers.CreateLogger<Systemd>()), new ProcessSpawner(), loggers.CreateLogger<Supervisor>());
        return await supervisor.RunAsync().ConfigureAwait(false);
    }

    private static void AddListener(KestrelServerOptions kestrel, ListenerSettings l, OwnedListener owned, TlsCertificates certificates, IServiceProvider services)
    {
        kestrel.ListenHandle((ulong)owned.Fd, lo =>
        {
            if (l.MaxConnections is { } max)
            {
                new ConnectionLimit(l.Key, max, services.GetRequiredService<ILoggerFactory>().CreateLogger<ConnectionLimit>(), TimeProvider.System).AddTo(lo);
            }

            lo.UseBatonTracking(new ListenerInfo(l.Key, l.Key == ListenerSettings.AdminKey, l.HealthEndpoints));
            lo.Protocols = l.Protocols;
            if (l.IsTls)
            {
                certificates.UseHttps(lo, l.Key);
            }
        });
    }

    internal static IEnumerable<ListenerSettings> AllListeners(BatonSettings settings)
        => settings.Admin is null ? settings.Listeners : settings.Listeners.Append(settings.Admin);

    internal static int ConfigError(string message)
    {
        foreach (var line in message.Split(Environment.NewLine))
        {
            Console.Error.WriteLine($"baton: config error: {line}");
        }

        return ExitCodes.Usage;
    }

    internal static void ConfigureLogging(ILoggingBuilder logging, bool json)
    {
        logging.ClearProviders();
        if (json)
        {
            logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
                o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }

        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Yarp", LogLevel.Warning);
        // A forwarding error is Baton's one UpstreamError line; YARP's own carries a stack trace.
        logging.AddFilter("Yarp.ReverseProxy.Forwarder.HttpForwarder", LogLevel.Error);
        // Measured (bench/RESULTS.md, "nohostlog"): while this logger is enabled at any level,
        // ASP.NET Core creates a log scope per request; Baton logs its own events instead.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
    }

    private static string YarpErrors(Exception ex)
    {
        var inner = ex.InnerException is AggregateException agg ? agg.InnerExceptions : [ex.InnerException!];
        return string.Join(Environment.NewLine, inner.Select(e => $"ReverseProxy: {e.Message}"));
    }

    private static void Copy(LifecycleOptions from, LifecycleOptions to)
    {
        to.DrainTimeout = from.DrainTimeout;
        to.ShutdownGracePeriod = from.ShutdownGracePeriod;
        to.LongLivedCloseLead = from.LongLivedCloseLead;
        to.FastStopTimeout = from.FastStopTimeout;
        to.EnableZeroDowntime = from.EnableZeroDowntime;
        to.SocketPath = from.SocketPath;
        to.UpgradeCommand = from.UpgradeCommand;
        to.UpgradeTimeout = from.UpgradeTimeout;
        to.MaxDrainingGenerations = from.MaxDrainingGenerations;
        to.PidFile = from.PidFile;
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.ProxyListening, LogLevel.Information, "Listening: {Key} on {EndPoint} ({Protocols}, {Scheme})", EventName = nameof(BatonEventIds.ProxyListening))]
        public static partial void Listening(ILogger logger, string key, string endPoint, string protocols, string scheme);

        [LoggerMessage(BatonEventIds.Started, LogLevel.Information, "Baton started: pid {Pid}, generation {Generation}", EventName = nameof(BatonEventIds.Started))]
        public static partial void Started(ILogger logger, int pid, int generation);

        [LoggerMessage(BatonEventIds.ConfigError, LogLevel.Critical, "Baton could not start: {Error}", EventName = nameof(BatonEventIds.ConfigError))]
        public static partial void StartFailed(ILogger logger, string error);
    }
}
