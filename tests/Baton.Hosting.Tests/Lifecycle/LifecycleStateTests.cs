using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;

namespace Baton.Hosting.Tests.Lifecycle;

public class LifecycleStateTests
{
    [Fact]
    public void Fire_Transition_ChangesPhaseStampsTimeAndRaisesPhaseChanged()
    {
        var rig = new LifecycleRig().Running();
        var changes = new List<(LifecyclePhase, LifecyclePhase)>();
        rig.State.PhaseChanged += (from, to) => changes.Add((from, to));
        rig.Time.Advance(TimeSpan.FromSeconds(7));

        Assert.NotNull(rig.State.Fire(LifecycleTrigger.Stop, "SIGTERM"));

        Assert.Equal(LifecyclePhase.GracePeriod, rig.State.Phase);
        Assert.Equal(rig.Time.GetUtcNow(), rig.State.PhaseSince);
        Assert.Equal([(LifecyclePhase.Running, LifecyclePhase.GracePeriod)], changes);
        var logged = rig.Log.Events.Last(e => e.Id == BatonEventIds.PhaseChanged);
        Assert.Equal(LifecyclePhase.GracePeriod, logged["Phase"]);
        Assert.Equal("SIGTERM", logged["Reason"]);
    }

    [Fact]
    public void Fire_IgnoredInStopped_KeepsThePhaseAndRaisesNothing()
    {
        var rig = new LifecycleRig().Running();
        Assert.NotNull(rig.State.Fire(LifecycleTrigger.DrainStarted, "stop"));
        Assert.NotNull(rig.State.Fire(LifecycleTrigger.Drained, "drained"));
        var since = rig.State.PhaseSince;
        int raised = 0;
        rig.State.PhaseChanged += (_, _) => raised++;
        rig.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(LifecycleAction.Ignore, rig.State.Fire(LifecycleTrigger.Stop, "late SIGTERM")?.Action);
        Assert.Equal(LifecycleAction.Ignore, rig.State.Fire(LifecycleTrigger.Drained, "again")?.Action);

        Assert.Equal(LifecyclePhase.Stopped, rig.State.Phase);
        Assert.Equal(since, rig.State.PhaseSince);
        Assert.Equal(0, raised);
    }

    [Fact]
    public async Task WaitForPhaseAsync_AlreadyInPhase_CompletesAtOnce()
    {
        var rig = new LifecycleRig().Running();

        var wait = rig.State.WaitForPhaseAsync(CancellationToken.None, LifecyclePhase.Stopped, LifecyclePhase.Running);

        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
    }

    [Fact]
    public async Task WaitForPhaseAsync_OneOfSeveral_CompletesOnlyWhenReached()
    {
        var rig = new LifecycleRig().Running();
        var wait = rig.State.WaitForPhaseAsync(CancellationToken.None, LifecyclePhase.Draining, LifecyclePhase.Aborting);

        Assert.NotNull(rig.State.Fire(LifecycleTrigger.Stop, "SIGTERM"));
        Assert.False(wait.IsCompleted);
        Assert.NotNull(rig.State.Fire(LifecycleTrigger.StopAgain, "second SIGTERM"));

        await wait.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WaitForPhaseAsync_Cancelled_ThrowsAndUnsubscribes()
    {
        var rig = new LifecycleRig().Running();
        using var cts = new CancellationTokenSource();
        var wait = rig.State.WaitForPhaseAsync(cts.Token, LifecyclePhase.Stopped);

        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.NotNull(rig.State.Fire(LifecycleTrigger.Stop, "after cancel")); // no handler left to throw
    }

    [Fact]
    public void IsReady_FollowsPhaseAndUnhealthyMark()
    {
        var rig = new LifecycleRig();
        Assert.False(rig.State.IsReadyNow()); // Starting
        rig.Running();
        Assert.True(rig.State.IsReadyNow());

        rig.State.SetUnhealthy(true);
        Assert.False(rig.State.IsReadyNow());
        Assert.Contains(rig.Log.Events, e => e.Id == BatonEventIds.MarkedUnhealthy && Equals(e["Unhealthy"], true));
        rig.State.SetUnhealthy(false);
        Assert.True(rig.State.IsReadyNow());

        Assert.NotNull(rig.State.Fire(LifecycleTrigger.Stop, "SIGTERM"));
        Assert.False(rig.State.IsReadyNow());
        Assert.False(((ILifecycle)rig.State).IsReady);
    }
}
