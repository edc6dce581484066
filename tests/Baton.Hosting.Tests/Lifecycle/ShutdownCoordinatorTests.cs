using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Microsoft.Extensions.DependencyInjection;

namespace Baton.Hosting.Tests.Lifecycle;

public class ShutdownCoordinatorTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task GracefulStop_WithdrawsReadinessAndStopsOnlyAfterTheGracePeriod()
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = Grace }).Running();

        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);

        Assert.Equal(LifecyclePhase.GracePeriod, rig.State.Phase);
        Assert.False(rig.State.IsReadyNow());
        var withdrawn = await rig.Log.WaitForAsync(BatonEventIds.ReadinessWithdrawn);
        Assert.Equal("SIGTERM", withdrawn["Source"]);
        rig.Time.Advance(Grace - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, rig.Lifetime.StopCalls);

        rig.Time.Advance(TimeSpan.FromMilliseconds(1));

        await rig.Lifetime.StopRequested.WaitAsync(Wait);
        await rig.Log.WaitForAsync(BatonEventIds.GracePeriodEnded);
        Assert.Equal(LifecyclePhase.Draining, rig.State.Phase); // the table: GracePeriod + GraceElapsed → Draining
        Assert.DoesNotContain(rig.Log.Events, e => e.Id == BatonEventIds.FastStopRequested);
    }

    [Fact]
    public async Task GracefulStop_ZeroGracePeriod_StopsAtOnce()
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = TimeSpan.Zero }).Running();

        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);

        await rig.Lifetime.StopRequested.WaitAsync(Wait);
        Assert.Equal(LifecyclePhase.Draining, rig.State.Phase);
    }

    [Theory]
    [InlineData("SIGTERM")]
    [InlineData("SIGINT")]
    public async Task SecondStopSignal_DuringGracePeriod_AbortsAndStopsAtOnce(string second)
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = TimeSpan.FromMinutes(5) }).Running();
        int fastStops = 0;
        rig.Shutdown.FastStopRequested += () => fastStops++;
        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);
        Assert.Equal(0, rig.Lifetime.StopCalls);

        rig.Shutdown.Request(LifecycleIntent.GracefulStop, second, fromSignal: true);

        Assert.Equal(LifecyclePhase.Aborting, rig.State.Phase);
        Assert.True(rig.Lifetime.StopCalls >= 1, "a fast stop does not wait for the fake clock");
        Assert.Equal(1, fastStops);
        var logged = await rig.Log.WaitForAsync(BatonEventIds.FastStopRequested);
        Assert.Equal(second, logged["Source"]);
        Assert.Equal(rig.Options.FastStopTimeout.TotalMilliseconds, logged["TimeoutMs"]);
    }

    [Fact]
    public async Task SecondStopSignal_DuringDrain_AbortsAndRaisesFastStop()
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = TimeSpan.Zero }).Running();
        int fastStops = 0;
        rig.Shutdown.FastStopRequested += () => fastStops++;
        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);
        await rig.Lifetime.StopRequested.WaitAsync(Wait);
        Assert.NotNull(rig.State.Fire(LifecycleTrigger.DrainStarted, "host stopping"));

        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);

        Assert.Equal(LifecyclePhase.Aborting, rig.State.Phase);
        Assert.Equal(1, fastStops);
    }

    [Fact]
    public void RepeatedStopRequests_NotFromSignals_StayOneGracefulStop()
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = Grace }).Running();

        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "control");
        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "control");

        Assert.Equal(LifecyclePhase.GracePeriod, rig.State.Phase);
        Assert.Equal(0, rig.Lifetime.StopCalls);
        Assert.Single(rig.Log.Events, e => e.Id == BatonEventIds.ReadinessWithdrawn);
    }

    [Fact]
    public async Task PreStop_ThenSigTerm_IsOneGracefulStopNotAFastStop()
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = Grace }).Running();

        var preStop = rig.Shutdown.PreStopAsync(CancellationToken.None);
        Assert.Equal(LifecyclePhase.GracePeriod, rig.State.Phase);
        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true); // the kubelet's SIGTERM after preStop

        Assert.Equal(LifecyclePhase.GracePeriod, rig.State.Phase);
        Assert.False(preStop.IsCompleted, "preStop returns only after the grace period");
        Assert.Equal(0, rig.Lifetime.StopCalls);
        rig.Time.Advance(Grace);
        await preStop.WaitAsync(Wait);
        Assert.Equal(1, rig.Lifetime.StopCalls);
        Assert.DoesNotContain(rig.Log.Events, e => e.Id == BatonEventIds.FastStopRequested);
        Assert.Equal("prestop", rig.Log.Events.Single(e => e.Id == BatonEventIds.ReadinessWithdrawn)["Source"]);

        // A second signal still means "hurry": preStop did not use up the operator's escape hatch.
        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);
        Assert.Equal(LifecyclePhase.Aborting, rig.State.Phase);
    }

    [Fact]
    public async Task PreStop_Cancelled_ThrowsButTheStopGoesOn()
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = Grace }).Running();
        using var cts = new CancellationTokenSource();
        var preStop = rig.Shutdown.PreStopAsync(cts.Token);

        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => preStop);
        rig.Time.Advance(Grace);
        await rig.Lifetime.StopRequested.WaitAsync(Wait);
    }

    [Fact]
    public async Task FastStopIntent_SkipsTheGracePeriod()
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = Grace }).Running();
        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "control");

        rig.Shutdown.Request(LifecycleIntent.FastStop, "control");

        Assert.Equal(LifecyclePhase.Aborting, rig.State.Phase);
        await rig.Lifetime.StopRequested.WaitAsync(Wait);
        await rig.Log.WaitForAsync(BatonEventIds.GracePeriodEnded); // the grace wait was cancelled, not left pending
    }

    [Fact]
    public void Upgrade_WithoutHandler_LogsUpgradeDisabledAndKeepsServing()
    {
        var rig = new LifecycleRig().Running();

        rig.Shutdown.Request(LifecycleIntent.GracefulUpgrade, "SIGQUIT", fromSignal: true);

        Assert.Equal(LifecyclePhase.Running, rig.State.Phase);
        Assert.True(rig.State.IsReadyNow());
        Assert.Equal(0, rig.Lifetime.StopCalls);
        Assert.Equal("SIGQUIT", rig.Log.Events.Single(e => e.Id == BatonEventIds.UpgradeDisabled)["Source"]);
    }

    [Fact]
    public void Upgrade_DoesNotCountAsAStopSignal()
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = Grace }).Running();
        rig.Shutdown.Request(LifecycleIntent.GracefulUpgrade, "SIGQUIT", fromSignal: true);

        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);

        Assert.Equal(LifecyclePhase.GracePeriod, rig.State.Phase);
    }

    [Fact]
    public void Reload_CallsTheReloadHandler()
    {
        var reloads = new List<string>();
        var rig = new LifecycleRig(services: s => s.AddSingleton<IReloadHandler>(new RecordingReload(reloads))).Running();

        rig.Shutdown.Request(LifecycleIntent.Reload, "SIGHUP", fromSignal: true);

        Assert.Equal(["SIGHUP"], reloads);
        Assert.Equal(LifecyclePhase.Running, rig.State.Phase);
    }

    [Fact]
    public void Reload_WithoutHandler_IsLoggedAndIgnored()
    {
        var rig = new LifecycleRig().Running();

        rig.Shutdown.Request(LifecycleIntent.Reload, "SIGHUP", fromSignal: true);

        Assert.Equal(LifecyclePhase.Running, rig.State.Phase);
        Assert.Equal("SIGHUP", rig.Log.Events.Single(e => e.Id == BatonEventIds.SignalIgnored)["Signal"]);
    }

    private sealed class RecordingReload(List<string> reloads) : IReloadHandler
    {
        public void Reload(string source) => reloads.Add(source);
    }
}
