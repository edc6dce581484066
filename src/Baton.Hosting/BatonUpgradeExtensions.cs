using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Supervision;
using Baton.Hosting.Systemd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Baton.Hosting;

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
