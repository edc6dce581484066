using Baton.Configuration;
using Baton.Hosting;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Draining;
using Baton.Hosting.Handoff;
using Baton.Hosting.Health;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Supervision;
using Baton.Hosting.Systemd;
using Baton.Limits;
using Baton.Tls;
using Baton.Observability;
using Baton.Policies;
using Baton.Upstreams;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
using Yarp.ReverseProxy.Forwarder;

namespace Baton.Proxy;

/// <summary>
/// The composition root of <c>baton run</c>: validate everything, build Kestrel + YARP, claim the
/// listeners (adopting handed-in sockets), start, report ready, wait for the drain, and turn the
/// outcome into the exit code. Only this class decides exit codes.
/// </summary>
public static partial class ProxyHost
{
    public static async Task<int> RunAsync(RunOptions run)
    {
        var clock = new StartupClock();
        IConfigurationRoot root;
        BatonSettings settings;
        TlsCertificates certificates;
        using var intake = HandoffIntake.FromEnvironment(run.Upgrade);
        if (intake.Error is { } intakeError)
        {
            Console.Error.WriteLine($"baton: {intakeError}");
            await intake.ReportFailureAsync(intakeError).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            (root, settings, certificates) = Validate(run.ConfigPath);
            settings.Runtime.Apply(); // before any socket: the handoff, Kestrel and the upstream client come after
            clock.Mark("config");
        }
        catch (ConfigException ex)
        {
            // The line first: the old process stops a child that reported a failure, and a native
            // child that has not printed yet would be gone before it does.
            var code = ConfigError(ex.Message);
            await intake.ReportFailureAsync($"config error: {ex.Message.ReplaceLineEndings("; ")}").ConfigureAwait(false);
            return code;
        }

        if ((run.Supervise || Environment.ProcessId == 1) && !intake.Supervised && intake.Mode is IntakeMode.None or IntakeMode.Systemd)
        {
            return await SuperviseAsync(run, settings, intake).ConfigureAwait(false);
        }

        WebApplication app;
        KestrelServerOptions kestrel;
        try
        {
            (app, kestrel) = Build(run, root, settings, certificates, intake);
            clock.Mark("host build");
        }
        catch (ConfigException ex)
        {
            var code = ConfigError(ex.Message);
            await intake.ReportFailureAsync($"config error: {ex.Message.ReplaceLineEndings("; ")}").ConfigureAwait(false);
            certificates.Dispose();
            return code;
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Baton");
        var table = app.Services.GetRequiredService<ListenerTable>();
        foreach (var warning in settings.Warnings)
        {
            Log.ConfigWarning(logger, warning);
        }

        app.Services.StartBatonObservability(); // metrics, trace context and the access log from the start
        foreach (var l in settings.Listeners)
        {
            AddListener(kestrel, l, certificates, app.Services);
        }

        // The reloader watches the file from its construction: create it now, not at the first SIGHUP.
        _ = app.Services.GetRequiredService<IReloadHandler>();
        certificates.Start(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<TlsCertificates>());
        try
        {
            // Baton.Hosting runs the new process's steps around Kestrel's start (HandoffStartup):
            // receive the handed-in sockets, every fallible step, claim each listener by key, then
            // Running and ready — or failed, reported to the old process, which keeps serving.
            await app.StartAsync().ConfigureAwait(false);
            clock.Mark("start");
        }
        catch (HandoffException ex)
        {
            Console.Error.WriteLine($"baton: {ex.Message}");
            table.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            certificates.Dispose();
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            Log.StartFailed(logger, ex.Message);
            await intake.ReportFailureAsync(ex.Message).ConfigureAwait(false);
            table.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            certificates.Dispose();
            return ExitCodes.Error;
        }

        foreach (var owned in table.Listeners)
        {
            var l = AllListeners(settings).First(l => l.Key == owned.Key);
            Log.Listening(logger, l.Key, owned.EndPoint.ToString() ?? l.Address, l.Protocols.ToString(), l.IsTls ? "https" : "http");
        }

        Log.Started(logger, Environment.ProcessId, app.Services.GetRequiredService<ProcessIdentity>().Generation);
        clock.Log(logger);

        await app.WaitForShutdownAsync().ConfigureAwait(false);

        var outcome = app.Services.GetRequiredService<ShutdownOutcome>();
        await app.DisposeAsync().ConfigureAwait(false);
        certificates.Dispose();
        table.Dispose();
        return outcome.ExitCode;
    }

    /// <summary>
    /// Step 1 of what <c>run</c> validates, shared with <c>baton check</c>: the file, Baton's
    /// settings and YARP's keys, the directories Baton will write to, the certificates.
    /// </summary>
    /// <exception cref="ConfigException">One line per problem.</exception>
    internal static (IConfigurationRoot Root, BatonSettings Settings, TlsCertificates Certificates) Validate(string configPath)
    {
        var root = ConfigLoader.Load(configPath);
        var settings = ConfigValidator.Validate(root, Path.GetDirectoryName(Path.GetFullPath(configPath))!);
        try
        {
            WritableDirectories(settings);
            return (root, settings, TlsCertificates.Load(settings));
        }
        catch (ConfigException ex)
        {
            throw new ConfigException(ConfigSources.Annotate(root, ex.Message));
        }
    }

    /// <summary>
    /// Step 2, shared with <c>baton check</c>: the app exactly as <c>run</c> serves it (nothing is
    /// bound yet), so YARP validates routes and clusters against every policy and service Baton
    /// wires — what YARP refuses is a <see cref="ConfigException"/> here, for both commands alike.
    /// </summary>
    internal static (WebApplication App, KestrelServerOptions Kestrel) Build(RunOptions run, IConfigurationRoot root, BatonSettings settings, TlsCertificates certificates, HandoffIntake intake)
    {
        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(run.ConfigPath))!;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "baton", ContentRootPath = baseDirectory });
        builder.Configuration.AddConfiguration(root, shouldDisposeConfiguration: false);
        ConfigureLogging(builder.Logging, run.JsonLogs, root.GetSection("Logging"));

        builder.Services.AddRouting();
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(certificates);
        builder.Services.AddHostedService<IdleMemoryTrimmer>();
        builder.Services.AddBatonLifecycle(o => Copy(settings.Lifecycle, o));
        builder.Services.AddSingleton<IReloadHandler>(sp => new ConfigReloader(root, run.ConfigPath, settings, sp.GetRequiredService<ILogger<ConfigReloader>>()));
        builder.Services.AddSingleton<Yarp.ReverseProxy.Configuration.IConfigChangeListener>(sp => (ConfigReloader)sp.GetRequiredService<IReloadHandler>());
        builder.Services.AddBatonObservability(settings);
        builder.Services.AddBatonRoutePolicies(settings.Policies);
        builder.Services.AddSingleton(sp => new UpstreamPools(settings.Upstreams, sp));
        builder.Services.AddSingleton<IForwarderHttpClientFactory>(sp => sp.GetRequiredService<UpstreamPools>());
        builder.Services.AddSingleton<IPostDrainStep>(sp => sp.GetRequiredService<UpstreamPools>());
        builder.Services.AddReverseProxy().LoadFromConfig(root.GetSection("ReverseProxy")).AddBatonUpstreams(settings.Upstreams).AddConnectionHeaderRemoval();
        // Session-affinity cookies are protected with a per-process key (no key ring on disk), made on first use.
        DeferredDataProtectionProvider.Replace(builder.Services);
        builder.Services.AddBatonUpgrades(intake, settings.Lifecycle.EnableZeroDowntime);
        if (settings.Admin is { } admin)
        {
            // Its own server: it answers through the whole drain, until the process exits.
            builder.Services.AddBatonAdminServer(admin.EndPoint, admin.Key, admin.Backlog, UnixMode(admin));
        }

        // WebApplication resolves the server (and so Kestrel's options) while it is built, before
        // the listeners are claimed; the options instance is kept and the handles added later.
        KestrelServerOptions? kestrel = null;
        builder.Services.Configure<SocketTransportOptions>(o => o.Backlog = AllListeners(settings).Max(l => l.Backlog));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.CaptureSentConnectionHeader();
            settings.Limits.ApplyTo(k.Limits);
            kestrel = k;
        });

        var app = builder.Build();
        try
        {
            app.UseConnectionHeaderRemoval();
            app.UseBatonObservability();
            app.UseBatonLifecycle();
            app.UseBatonRoutePolicies();
            app.MapReverseProxy(proxy =>
            {
                proxy.UseBatonRetries();
                proxy.UseSessionAffinity();
                proxy.UseLoadBalancing();
                proxy.UsePassiveHealthChecks();
                proxy.UseBatonUpstreamTiming();
            });
        }
        catch (InvalidOperationException ex) when (ex.InnerException is not null)
        {
            ((IDisposable)app).Dispose();
            throw new ConfigException(ConfigSources.Annotate(root, YarpErrors(ex)));
        }

        return (app, kestrel ?? app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value);
    }

    /// <summary>The PID file's, the upgrade socket's and Unix listeners' directories must exist and be writable.</summary>
    private static void WritableDirectories(BatonSettings settings)
    {
        var errors = new List<string>();
        void Check(string key, string? file)
        {
            if (file is { Length: > 0 } && Path.GetDirectoryName(Path.GetFullPath(file)) is { } dir && !Writable.Directory(dir, out var why))
            {
                errors.Add($"{key} = '{file}': cannot create files in {dir}: {why}");
            }
        }

        Check("Baton:Lifecycle:PidFile", settings.Lifecycle.PidFile);
        Check("Baton:Lifecycle:SocketPath", settings.Lifecycle.SocketPath);
        foreach (var l in AllListeners(settings).Where(l => l.EndPoint is System.Net.Sockets.UnixDomainSocketEndPoint))
        {
            Check(l.IsAdmin ? "Baton:Admin:Address" : $"Baton:Listeners:{l.Key}:Address", l.Address["unix:".Length..]);
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(string.Join(Environment.NewLine, errors));
        }
    }

    /// <summary><c>baton run --supervise</c> (and PID 1): own the listeners, run the proxy in a worker under this process.</summary>
    private static async Task<int> SuperviseAsync(RunOptions run, BatonSettings settings, HandoffIntake intake)
    {
        using var loggers = LoggerFactory.Create(b => ConfigureLogging(b, run.JsonLogs));
        try
        {
            return await BatonSupervisor.RunAsync(intake, AllListeners(settings).Select(l => new BatonListener(l.Key, l.EndPoint, l.Backlog, UnixMode(l))),
                settings.Lifecycle, loggers).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or HandoffException)
        {
            Console.Error.WriteLine($"baton: {ex.Message}");
            return ExitCodes.Error;
        }
    }

    private static void AddListener(KestrelServerOptions kestrel, ListenerSettings l, TlsCertificates certificates, IServiceProvider services)
    {
        kestrel.Listen(l.EndPoint, lo =>
        {
            lo.UseBatonHandoffKey(l.Key, l.Backlog, UnixMode(l));
            if (l.MaxConnections is { } max)
            {
                new ConnectionLimit(l.Key, max, services.GetRequiredService<ILoggerFactory>().CreateLogger<ConnectionLimit>(), TimeProvider.System).AddTo(lo);
            }

            lo.UseBatonTracking(new ListenerInfo(l.Key, l.IsAdmin, l.HealthEndpoints));
            lo.UseSentConnectionHeader();
            // Without TLS there is no ALPN: Http1AndHttp2 serves HTTP/1.1 (docs/configuration.md), said
            // here rather than by Kestrel's warning on every start.
            lo.Protocols = !l.IsTls && l.Protocols == HttpProtocols.Http1AndHttp2 ? HttpProtocols.Http1 : l.Protocols;
            if (l.IsTls)
            {
                certificates.UseHttps(lo, l.Key);
                lo.UseBatonHttp2Close();
            }
        });
    }

    /// <summary>The admin socket is its owner's alone (0600), whatever the umask; a public Unix listener keeps the umask's mode, for a front proxy running as another user.</summary>
    private static UnixFileMode? UnixMode(ListenerSettings l) => l.IsAdmin ? UnixFileMode.UserRead | UnixFileMode.UserWrite : null;

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

    /// <summary>
    /// Baton's logging: JSON lines or one text line per event (with its id and name); Baton's
    /// defaults below, then the config file's <c>Logging</c> section, which overrides them
    /// (<c>"Logging": { "LogLevel": { "Default": "Warning", "Yarp": "Information" } }</c>).
    /// </summary>
    internal static void ConfigureLogging(ILoggingBuilder logging, bool json, IConfiguration? section = null)
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
            logging.AddConsole(o => o.FormatterName = Logging.BatonTextFormatter.FormatterName);
            // Registered directly: AddConsoleFormatter binds its options by reflection (not trim-safe), and it has none.
            logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ConsoleFormatter, Logging.BatonTextFormatter>());
        }

        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Yarp", LogLevel.Warning);
        // A forwarding error is Baton's one UpstreamError line; YARP's own carries a stack trace.
        logging.AddFilter("Yarp.ReverseProxy.Forwarder.HttpForwarder", LogLevel.Error);
        // Measured (bench/RESULTS.md, "nohostlog"): while this logger is enabled at any level,
        // ASP.NET Core creates a log scope per request; Baton logs its own events instead.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        if (section is not null)
        {
            // Later rules of the same specificity win: the file's levels override the defaults above.
            logging.AddConfiguration(section);
        }
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

        [LoggerMessage(BatonEventIds.ConfigWarning, LogLevel.Warning, "Configuration warning: {Warning}", EventName = nameof(BatonEventIds.ConfigWarning))]
        public static partial void ConfigWarning(ILogger logger, string warning);

        [LoggerMessage(BatonEventIds.ConfigError, LogLevel.Critical, "Baton could not start: {Error}", EventName = nameof(BatonEventIds.ConfigError))]
        public static partial void StartFailed(ILogger logger, string error);
    }
}
