using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting.Supervision;

/// <summary>
/// Runs this process as the supervisor (for example as PID 1 in a container): it owns the
/// listening sockets and runs the app in a worker process under it, so an upgrade or a crashed
/// worker never closes them.
/// </summary>
public static class BatonSupervisor
{
    /// <summary>
    /// Takes the sockets handed in (<paramref name="intake"/>), claims <paramref name="listeners"/>
    /// (adopting by key, else binding), then supervises workers started with
    /// <see cref="LifecycleOptions.UpgradeCommand"/> (else this process's own command line) until
    /// it is stopped.
    /// </summary>
    /// <param name="intake">What this process was handed (<see cref="HandoffIntake.FromEnvironment"/>).</param>
    /// <param name="listeners">The listeners every worker serves.</param>
    /// <param name="options">The lifecycle options (drain, upgrade timeout, PID file).</param>
    /// <param name="loggers">Where the supervisor logs.</param>
    /// <returns>The exit code of the supervisor.</returns>
    /// <exception cref="HandoffException">A handed-in socket is unusable, or another instance holds the PID file.</exception>
    /// <exception cref="IOException">A listener cannot be bound.</exception>
    public static async Task<int> RunAsync(HandoffIntake intake, IEnumerable<BatonListener> listeners, LifecycleOptions options, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(intake);
        ArgumentNullException.ThrowIfNull(listeners);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        using var table = new ListenerTable(loggers.CreateLogger<ListenerTable>());
        await intake.ReceiveAsync(table, options.SocketPath, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        await intake.EnsureSoleInstanceAsync(options, hostsUpgradeSocket: false).ConfigureAwait(false);
        foreach (var l in listeners)
        {
            table.Claim(l.Key, l.EndPoint, l.Backlog, l.UnixMode);
        }

        table.CloseUnclaimed();
        var supervisor = new Supervisor(table, UpgradeCommandLine.Resolve(options.UpgradeCommand), options,
            new SystemdNotifier(loggers.CreateLogger<SystemdNotifier>()), new ProcessSpawner(), loggers.CreateLogger<Supervisor>());
        return await supervisor.RunAsync().ConfigureAwait(false);
    }
}
