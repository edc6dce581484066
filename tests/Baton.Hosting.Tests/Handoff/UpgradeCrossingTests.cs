using Baton.Hosting.Diagnostics;
using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;

namespace Baton.Hosting.Tests.Handoff;

/// <summary>
/// Stops that cross an upgrade (defect 1 of the one-lifecycle issue): the stop waits for the
/// upgrade's result, and listeners another process holds are never marked as this process's alone.
/// A fake new process reports only when released; time is fake.
/// </summary>
public sealed class UpgradeCrossingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task StopDuringHandoff_NewProcessThenReady_ThisOneDrainsAsTheOldOneAndTheSocketsStayShared()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.ReportsReadyWhenReleased));
        var upgrade = rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None);
        await rig.Log.WaitForAsync(BatonEventIds.ListenersHandedOff);
        Assert.Equal(LifecyclePhase.HandingOff, rig.State.Phase);

        rig.Lifecycle.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);

        Assert.Equal(LifecyclePhase.HandingOff, rig.State.Phase); // deferred, not GracePeriod
        Assert.Equal("SIGTERM", rig.State.DeferredStop);
        Assert.False(rig.State.IsReadyNow());
        Assert.Equal(0, rig.Lifecycle.Lifetime.StopCalls);
        Assert.All(rig.Listeners, l => Assert.Equal(ListenerSharing.Shared, l.Sharing));

        rig.Spawner.Children[0].Release();
        var result = await upgrade.WaitAsync(Wait);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(LifecyclePhase.UpgradeDraining, rig.State.Phase);
        Assert.Equal(1, rig.Lifecycle.Lifetime.StopCalls);
        Assert.Null(rig.State.DeferredStop);
        Assert.All(rig.Listeners, l => Assert.Equal(ListenerSharing.HandedOver, l.Sharing));
        Assert.DoesNotContain(rig.Log.Events, e => e.Id == BatonEventIds.ReadinessWithdrawn); // no second, own stop
        Assert.Equal(0, rig.State.IllegalTriggers);
    }

    [Fact]
    public async Task StopDuringHandoff_NewProcessThenFails_RolledBackThenTheDeferredStopRuns()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.FailsWhenReleased), o => o.ShutdownGracePeriod = TimeSpan.FromSeconds(5));
        var upgrade = rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None);
        await rig.Log.WaitForAsync(BatonEventIds.ListenersHandedOff);
        rig.Lifecycle.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);

        rig.Spawner.Children[0].Release();
        var result = await upgrade.WaitAsync(Wait);

        Assert.False(result.Succeeded);
        Assert.Contains("config error: late", result.Message);
        Assert.Equal(LifecyclePhase.GracePeriod, rig.State.Phase); // Running (rolled back), then the stop
        var phases = rig.Log.Events.Where(e => e.Id == BatonEventIds.PhaseChanged).Select(e => (LifecyclePhase)e["Phase"]!).ToArray();
        Assert.Equal([LifecyclePhase.Running, LifecyclePhase.UpgradeStarting, LifecyclePhase.HandingOff, LifecyclePhase.Running, LifecyclePhase.GracePeriod], phases);
        // The failed process exited: the sockets are this process's alone again, so its stop may filter and close them.
        Assert.All(rig.Listeners, l => Assert.Equal(ListenerSharing.Alone, l.Sharing));
        Assert.Equal(0, rig.Lifecycle.Lifetime.StopCalls);

        rig.Lifecycle.Time.Advance(TimeSpan.FromSeconds(5));
        await rig.Lifecycle.Lifetime.StopRequested.WaitAsync(Wait);
        Assert.Equal(LifecyclePhase.Draining, rig.State.Phase);
    }

    [Fact]
    public async Task SecondSignalDuringHandoff_FastStopsButStillAcknowledgesTheNewProcess()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.ReportsReadyWhenReleased));
        var upgrade = rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None);
        await rig.Log.WaitForAsync(BatonEventIds.ListenersHandedOff);
        rig.Lifecycle.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);
        rig.Lifecycle.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);

        Assert.Equal(LifecyclePhase.Aborting, rig.State.Phase);
        Assert.All(rig.Listeners, l => Assert.Equal(ListenerSharing.Shared, l.Sharing)); // never filtered for the new process

        var child = rig.Spawner.Children[0];
        child.Release();
        var result = await upgrade.WaitAsync(Wait);
        await child.Run.WaitAsync(Wait);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(HandoffMessage.Ack, child.Answer?.Type);
        Assert.False(child.Killed);
        Assert.Equal(LifecyclePhase.Aborting, rig.State.Phase);
        Assert.Equal(0, rig.State.IllegalTriggers);
    }

    [Fact]
    public async Task StopDuringHandoff_NewProcessHangs_RolledBackAtTheTimeoutThenStops()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.Hangs), o =>
        {
            o.UpgradeTimeout = TimeSpan.FromMilliseconds(300);
            o.ShutdownGracePeriod = TimeSpan.Zero;
        });
        var upgrade = rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None);
        await rig.Log.WaitForAsync(BatonEventIds.ListenersHandedOff);
        rig.Lifecycle.Shutdown.Request(LifecycleIntent.GracefulStop, "prestop");

        var result = await upgrade.WaitAsync(Wait);

        Assert.False(result.Succeeded);
        Assert.True(rig.Spawner.Children[0].Killed);
        await rig.Lifecycle.Lifetime.StopRequested.WaitAsync(Wait);
        Assert.Equal(LifecyclePhase.Draining, rig.State.Phase);
    }

    [Fact]
    public async Task UpgradeDuringUpgrade_RefusedByTheTable()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.ReportsReadyWhenReleased));
        var first = rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None);
        await rig.Log.WaitForAsync(BatonEventIds.ListenersHandedOff);

        var second = await rig.Coordinator.UpgradeAsync("SIGUSR2", CancellationToken.None).WaitAsync(Wait);

        Assert.False(second.Succeeded);
        Assert.Equal("upgrade refused: an upgrade is already in progress; one upgrade at a time", second.Message);
        Assert.Single(rig.Spawner.Children);
        rig.Spawner.Children[0].Release();
        Assert.True((await first.WaitAsync(Wait)).Succeeded);
    }
}
