using Baton.Hosting.Draining;
using Baton.Hosting.Handoff;
using Baton.Hosting.Health;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Supervision;
using Baton.Hosting.Systemd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Hosting;

/// <summary>Wires Baton's lifecycle into any ASP.NET Core app.</summary>
public static class BatonHostingExtensions
{
    /// <summary>
    /// Registers the phase machine, the signal lifetime, the drain, the listener table and the
    /// transport decorator that closes listeners Kestrel stopped accepting on.
    /// </summary>
    public static IServiceCollection AddBatonLifecycle(this IServiceCollection services, Action<LifecycleOptions> configure)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<LifecycleOptions>().Configure(configure).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LifecycleOptions>, LifecycleOptionsValidator>();
        services.AddSingleton<LifecycleState>();
        services.AddSingleton<ILifecycle>(sp => sp.GetRequiredService<LifecycleState>());
        services.AddSingleton<ShutdownCoordinator>();
        services.AddSingleton<ILifecycleController>(sp => sp.GetRequiredService<ShutdownCoordinator>());
        services.AddSingleton<ConnectionTracker>();
        services.AddSingleton<ShutdownOutcome>();
        services.AddSingleton<ProcessIdentity>();
        services.AddSingleton<Diagnostics.BatonMetrics>();
        services.TryAddSingleton<ListenerTable>();
        services.AddSingleton<IHostLifetime, BatonHostLifetime>();
        services.AddHostedService<DrainCoordinator>();

        // The host's own stop timeout is only a backstop: the drain deadline acts first.
        services.AddOptions<HostOptions>().Configure<IOptions<LifecycleOptions>>((host, lifecycle) =>
            host.ShutdownTimeout = lifecycle.Value.DrainTimeout + lifecycle.Value.FastStopTimeout + TimeSpan.FromSeconds(10));

        // Registered after Kestrel's own socket transport, so Kestrel picks this one.
        services.TryAddSingleton<ListenerKeys>();
        services.AddSingleton<IConnectionListenerFactory>(sp => new OwnedListenerFactory(
            new SocketTransportFactory(sp.GetRequiredService<IOptions<SocketTransportOptions>>(), sp.GetRequiredService<ILoggerFactory>()),
            sp.GetRequiredService<ListenerTable>(),
            sp.GetRequiredService<ListenerKeys>(),
            sp.GetRequiredService<IOptions<SocketTransportOptions>>().Value.Backlog));
        return services;
    }

    /// <summary>Counts requests for the drain and answers Baton's health and control endpoints. Put it first.</summary>
    public static IApplicationBuilder UseBatonLifecycle(this IApplicationBuilder app)
    {
        app.UseMiddleware<RequestTrackingMiddleware>();
        app.UseMiddleware<BatonEndpointsMiddleware>();
        app.UseMiddleware<HandBackMiddleware>();
        return app;
    }

    /// <summary>Tracks every connection this listener accepts (add it before <c>UseHttps</c>).</summary>
    public static ListenOptions UseBatonTracking(this ListenOptions listenOptions, ListenerInfo listener)
    {
        var tracker = listenOptions.ApplicationServices.GetRequiredService<ConnectionTracker>();
        listenOptions.Use(next => async connection =>
        {
            var lingering = new LingeringInput(connection.Transport);
            connection.Transport = lingering;
            var tracked = tracker.ConnectionOpened(connection, listener);
            connection.Features.Set(tracked);
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                // An HTTP/2 connection the drain closed: read until the client's FIN, so the socket
                // closes with FIN, not RST (see LingeringInput).
                await lingering.FinishAsync(linger: tracked.IsHttp2 && tracked.CloseRequested).ConfigureAwait(false);
                tracker.ConnectionClosed(tracked);
            }
        });
        return listenOptions;
    }
}

/// <summary>Wires zero-downtime upgrades (re-exec, upgrade socket, systemd).</summary>
public static class BatonUpgradeExtensions
{
    /// <summary>
    /// Registers the handoff for an app that reads it from its environment: on SIGQUIT (or
    /// <c>POST /upgrade</c>) this process starts its own command line again
    /// (<see cref="LifecycleOptions.UpgradeCommand"/> overrides it), hands its listening sockets to
    /// the new process, and drains once that one reports ready; a new process that fails leaves
    /// this one serving. Upgrades run when <see cref="LifecycleOptions.EnableZeroDowntime"/> is true. Call after <see cref="BatonHostingExtensions.AddBatonLifecycle"/>; every
    /// endpoint Kestrel binds by address is handed over (name them with
    /// <see cref="BatonListenOptionsExtensions.UseBatonHandoffKey"/>).
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="upgradeFromSocket">True when this process should take the listeners from the running
    /// one's upgrade socket (<see cref="LifecycleOptions.SocketPath"/>), as <c>baton run --upgrade</c> does.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddBatonUpgrades(this IServiceCollection services, bool upgradeFromSocket = false)
    {
        var intake = HandoffIntake.FromEnvironment(upgradeFromSocket);
        if (intake.Error is { } error)
        {
            intake.ReportFailureAsync(error).GetAwaiter().GetResult();
            throw new HandoffException(error);
        }

        return services.AddBatonUpgrades(intake, enabled: true);
    }

    /// <summary>
    /// Registers the handoff: <paramref name="intake"/> (how this process got its sockets), systemd
    /// notifications, the new process's start-up steps (receive, claim, prepare, ready), and, when
    /// <paramref name="enabled"/>, the upgrade coordinator (SIGQUIT, <c>POST /upgrade</c>) and the
    /// upgrade socket.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="intake">What this process was handed, read before the host was built (<see cref="HandoffIntake.FromEnvironment"/>).</param>
    /// <param name="enabled">False registers the start-up steps only: this process cannot be upgraded.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddBatonUpgrades(this IServiceCollection services, HandoffIntake intake, bool enabled)
    {
        services.AddSingleton(intake);
        services.AddSingleton<SystemdNotifier>();
        services.TryAddSingleton<IUpgradeSpawner, ProcessSpawner>();
        services.AddSingleton<UpgradeCoordinator>();
        services.AddSingleton<UpgradeSocketServer>();
        services.AddSingleton<ReadyAnnouncer>();
        services.AddSingleton<SupervisorLink>();
        services.AddSingleton<IHandOverStep, KeepAliveHandOver>();
        services.AddSingleton(sp => new ProcessLauncher(sp.GetRequiredService<IUpgradeSpawner>()));
        if (intake.Supervised)
        {
            services.AddSingleton<IStopListener>(sp => sp.GetRequiredService<SupervisorLink>());
        }

        services.AddHostedService<HandoffStartup>();

        if (intake.Supervised)
        {
            // The supervisor owns the listeners and runs upgrades; this worker asks it.
            services.AddSingleton<IUpgradeHandler>(sp => sp.GetRequiredService<SupervisorLink>());
        }
        else if (enabled)
        {
            services.AddSingleton<IUpgradeHandler>(sp => sp.GetRequiredService<UpgradeCoordinator>());
        }

        return services;
    }
}
