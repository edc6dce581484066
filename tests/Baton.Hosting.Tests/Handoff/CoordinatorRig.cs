using System.Net;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Draining;
using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Systemd;
using Baton.Hosting.Tests.Lifecycle;

namespace Baton.Hosting.Tests.Handoff;

/// <summary>An <see cref="UpgradeCoordinator"/> with a real listener table (two loopback listeners) and a fake spawner.</summary>
internal sealed class CoordinatorRig : IDisposable
{
    // HandoffIntake reads (and clears) process-wide variables: one rig at a time in this process.
    private static readonly SemaphoreSlim s_environment = new(1, 1);

    public CoordinatorRig(FakeSpawner spawner, Action<LifecycleOptions>? configure = null, bool running = true, int[]? drainingPids = null)
    {
        var options = new LifecycleOptions { EnableZeroDowntime = true, UpgradeTimeout = TimeSpan.FromSeconds(5) };
        configure?.Invoke(options);
        Lifecycle = new LifecycleRig(options);
        if (running)
        {
            Lifecycle.Running();
        }

        Spawner = spawner;
        Table = new ListenerTable(Log.For<ListenerTable>());
        Table.Claim("public", new IPEndPoint(IPAddress.Loopback, 0), 16);
        Table.Claim("@admin", new IPEndPoint(IPAddress.Loopback, 0), 16);
        s_environment.Wait();
        try
        {
            Environment.SetEnvironmentVariable(ListenFdsVariable.DrainingName, drainingPids is null ? null : string.Join(',', drainingPids));
            Intake = HandoffIntake.FromEnvironment(upgradeFromSocket: false);
        }
        finally
        {
            s_environment.Release();
        }

        var identity = new ProcessIdentity();
        var tracker = new ConnectionTracker(Lifecycle.Time);
        Metrics = new BatonMetrics(State, tracker, identity, new ShutdownOutcome());
        Coordinator = new UpgradeCoordinator(Lifecycle.Shutdown, Table, Lifecycle.WrappedOptions, identity,
            new SystemdNotifier(Log.For<SystemdNotifier>()), new ProcessLauncher(spawner), Intake, Lifecycle.Time, Metrics, Log.For<UpgradeCoordinator>());
    }

    public LifecycleRig Lifecycle { get; }

    public LifecycleState State => Lifecycle.State;

    public EventLog Log => Lifecycle.Log;

    public FakeSpawner Spawner { get; }

    public ListenerTable Table { get; }

    public IReadOnlyList<OwnedListener> Listeners => Table.Listeners;

    public HandoffIntake Intake { get; }

    public BatonMetrics Metrics { get; }

    public UpgradeCoordinator Coordinator { get; }

    public void Dispose()
    {
        foreach (var child in Spawner.Children)
        {
            child.Exit(0);
        }

        Table.Dispose();
        Intake.Dispose();
        Metrics.Dispose();
    }
}
