using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;

namespace Baton.Hosting.Tests.Lifecycle;

public class LifecycleStateTests
{
    [Theory]
    [InlineData(LifecyclePhase.Starting, LifecyclePhase.Running)]
    [InlineData(LifecyclePhase.Starting, LifecyclePhase.Draining)]
    [InlineData(LifecyclePhase.Running, LifecyclePhase.GracePeriod)]
    [InlineData(LifecyclePhase.Running, LifecyclePhase.Draining)]
    [InlineData(LifecyclePhase.GracePeriod, LifecyclePhase.Draining)]
    [InlineData(LifecyclePhase.GracePeriod, LifecyclePhase.Aborting)]
    [InlineData(LifecyclePhase.Draining, LifecyclePhase.Aborting)]
    [InlineData(LifecyclePhase.Draining, LifecyclePhase.Stopped)]
    [InlineData(LifecyclePhase.Aborting, LifecyclePhase.Stopped)]
    [InlineData(LifecyclePhase.Running, LifecyclePhase.UpgradeStarting)]
    [InlineData(LifecyclePhase.UpgradeStarting, LifecyclePhase.HandingOff)]
    [InlineData(LifecyclePhase.HandingOff, LifecyclePhase.Running)]
    [InlineData(LifecyclePhase.HandingOff, LifecyclePhase.UpgradeDraining)]
    [InlineData(LifecyclePhase.UpgradeDraining, LifecyclePhase.Aborting)]
    [InlineData(LifecyclePhase.UpgradeDraining, LifecyclePhase.Stopped)]
    public void IsAllowed_LifecycleStep_IsAllowed(LifecyclePhase from, LifecyclePhase to)
        => Assert.True(LifecycleState.IsAllowed(from, to));

    [Theory]
    [InlineData(LifecyclePhase.Stopped, LifecyclePhase.GracePeriod)] // a late SIGTERM after the stop
    [InlineData(LifecyclePhase.Stopped, LifecyclePhase.Running)]
    [InlineData(LifecyclePhase.Stopped, LifecyclePhase.Aborting)]
    [InlineData(LifecyclePhase.Aborting, LifecyclePhase.Draining)] // a fast stop never turns graceful again
    [InlineData(LifecyclePhase.Aborting, LifecyclePhase.GracePeriod)]
    [InlineData(LifecyclePhase.Draining, LifecyclePhase.GracePeriod)]
    [InlineData(LifecyclePhase.Draining, LifecyclePhase.Running)]
    [InlineData(LifecyclePhase.GracePeriod, LifecyclePhase.Running)]
    [InlineData(LifecyclePhase.Starting, LifecyclePhase.Aborting)]
    [InlineData(LifecyclePhase.Starting, LifecyclePhase.GracePeriod)]
    [InlineData(LifecyclePhase.UpgradeDraining, LifecyclePhase.Running)]
    [InlineData(LifecyclePhase.GracePeriod, LifecyclePhase.UpgradeStarting)]
    public void IsAllowed_BackwardsOrOutOfOrder_IsRefused(LifecyclePhase from, LifecyclePhase to)
        => Assert.False(LifecycleState.IsAllowed(from, to));

    [Fact]
    public void TryTransition_Allowed_ChangesPhaseStampsTimeAndRaisesPhaseChanged()
    {
        var rig = new LifecycleRig().Running();
        var changes = new List<(LifecyclePhase, LifecyclePhase)>();
        rig.State.PhaseChanged += (from, to) => changes.Add((from, to));
        rig.Time.Advance(TimeSpan.FromSeconds(7));

        Assert.True(rig.State.TryTransition(LifecyclePhase.GracePeriod, "SIGTERM"));

        Assert.Equal(LifecyclePhase.GracePeriod, rig.State.Phase);
        Assert.Equal(rig.Time.GetUtcNow(), rig.State.PhaseSince);
        Assert.Equal([(LifecyclePhase.Running, LifecyclePhase.GracePeriod)], changes);
        var logged = rig.Log.Events.Last(e => e.Id == BatonEventIds.PhaseChanged);
        Assert.Equal(LifecyclePhase.GracePeriod, logged["Phase"]);
        Assert.Equal("SIGTERM", logged["Reason"]);
    }

    [Fact]
    public void TryTransition_RefusedOrToTheSamePhase_ReturnsFalseAndRaisesNothing()
    {
        var rig = new LifecycleRig().Running();
        Assert.True(rig.State.TryTransition(LifecyclePhase.Draining, "stop"));
        Assert.True(rig.State.TryTransition(LifecyclePhase.Stopped, "drained"));
        var since = rig.State.PhaseSince;
        int raised = 0;
        rig.State.PhaseChanged += (_, _) => raised++;
        rig.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(rig.State.TryTransition(LifecyclePhase.GracePeriod, "late SIGTERM"));
        Assert.False(rig.State.TryTransition(LifecyclePhase.Stopped, "again"));

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

        Assert.True(rig.State.TryTransition(LifecyclePhase.GracePeriod, "SIGTERM"));
        Assert.False(wait.IsCompleted);
        Assert.True(rig.State.TryTransition(LifecyclePhase.Aborting, "second SIGTERM"));

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
        Assert.True(rig.State.TryTransition(LifecyclePhase.GracePeriod, "after cancel")); // no handler left to throw
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

        Assert.True(rig.State.TryTransition(LifecyclePhase.GracePeriod, "SIGTERM"));
        Assert.False(rig.State.IsReadyNow());
        Assert.False(((ILifecycle)rig.State).IsReady);
    }
}
