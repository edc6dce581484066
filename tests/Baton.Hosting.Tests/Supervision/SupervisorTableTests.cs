using Baton.Hosting.Diagnostics;
using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Supervision;
using Baton.Hosting.Tests.Handoff;
using Baton.Hosting.Tests.Lifecycle;

namespace Baton.Hosting.Tests.Supervision;

/// <summary>
/// Every (phase, trigger) cell of <see cref="SupervisorTable"/>, driven through the real
/// <see cref="Supervisor"/> event loop on fake workers and fake time: the rig is brought into the
/// phase by the events that lead there (a worker reports ready, dies, asks for a stop; SIGTERM,
/// SIGQUIT), then the trigger's own event happens, and the cell that applied, the phase and the
/// action's visible effect (workers started, told to stop, sent SIGHUP; the exit code) are checked.
/// A pair the table says cannot happen is fired as it is and must be logged as <c>IllegalTrigger</c>.
/// docs/lifecycle.md names this test for each cell.
/// </summary>
public sealed class SupervisorTableTests
{
    private static readonly TimeSpan Wait = SupervisorRig.Wait;

    public static TheoryData<SupervisorPhase, SupervisorTrigger> EveryCell() => LifecycleTableTests.EveryCellOf<SupervisorPhase, SupervisorTrigger>();

    [Theory]
    [MemberData(nameof(EveryCell))]
    public async Task Cell(SupervisorPhase phase, SupervisorTrigger trigger)
    {
        var expected = SupervisorTable.Find(phase, trigger);
        // The worker that is starting when the trigger comes reports (or fails) only when released.
        var starting = trigger == SupervisorTrigger.WorkerFailed ? FakeBehaviour.FailsWhenReleased : FakeBehaviour.ReportsReadyWhenReleased;
        await using var rig = phase == SupervisorPhase.Starting
            ? new SupervisorRig(starting)
            : new SupervisorRig(FakeBehaviour.ReportsReady, starting);
        var scene = await DriveToAsync(rig, phase, trigger);

        if (phase == SupervisorPhase.Stopped)
        {
            // The loop has ended with the last worker: nothing reaches the supervisor any more.
            Assert.Equal(0, await rig.Run.WaitAsync(Wait));
            int spawned = rig.Spawner.Children.Count;
            Assert.Equal(expected, rig.Supervisor.Fire(trigger, "test"));
            Assert.Equal(SupervisorPhase.Stopped, rig.Supervisor.Phase);
            Assert.Equal(spawned, rig.Spawner.Children.Count);
            Assert.Contains(rig.Log.Events, e => e.Id == BatonEventIds.TriggerNotApplied && Equals(e["Trigger"], trigger));
            return;
        }

        if (expected is null)
        {
            var none = await rig.NextAppliedAsync(trigger, () => Post(rig, () => rig.Supervisor.Fire(trigger, "test")));
            Assert.Null(none);
            Assert.Equal(phase, rig.Supervisor.Phase);
            Assert.Contains(rig.Log.Events, e => e.Id == BatonEventIds.IllegalTrigger && Equals(e["Trigger"], trigger) && Equals(e["Phase"], phase));
            return;
        }

        if (scene.Gate is null)
        {
            Assert.Equal(phase, rig.Supervisor.Phase);
        }

        var before = Snapshot.Of(rig);
        var cell = await rig.NextAppliedAsync(trigger, () => CauseAsync(rig, scene, trigger));

        Assert.Equal(expected, cell);
        Assert.Equal(expected.Next, rig.Supervisor.Phase);
        await CheckEffectAsync(rig, scene, expected, before);
    }

    // What each trigger is in life.
    private static async Task CauseAsync(SupervisorRig rig, Scene scene, SupervisorTrigger trigger)
    {
        switch (trigger)
        {
            case SupervisorTrigger.WorkerReady:
            case SupervisorTrigger.WorkerFailed:
                if (scene.Gate is { } gate)
                {
                    gate.Set(); // its report waits behind a stop
                }
                else
                {
                    scene.Starting!.Release();
                }

                break;
            case SupervisorTrigger.Upgrade:
                await Post(rig, () => rig.Supervisor.Upgrade("test", null));
                break;
            case SupervisorTrigger.WorkerDied:
                scene.Serving.Exit(7);
                break;
            case SupervisorTrigger.Stop:
                await Post(rig, () => rig.Supervisor.Stop("test"));
                break;
            case SupervisorTrigger.WorkerStopping:
                await scene.Serving.SendAsync(new HandoffMessage { Type = HandoffMessage.Stopping, Pid = scene.Serving.Pid, Reason = "prestop" });
                break;
            case SupervisorTrigger.Reload:
                await Post(rig, () => rig.Supervisor.Reload("test"));
                break;
            case SupervisorTrigger.LastWorkerGone:
                scene.Serving.Exit(0);
                break;
        }
    }

    private static async Task CheckEffectAsync(SupervisorRig rig, Scene scene, SupervisorCell cell, Snapshot before)
    {
        var children = rig.Spawner.Children;
        switch (cell.Action)
        {
            case SupervisorAction.None:
                Assert.Equal(before.Spawned, children.Count);
                switch (cell.From, cell.Trigger)
                {
                    case (SupervisorPhase.Starting, SupervisorTrigger.WorkerReady):
                        Assert.Equal(scene.Serving.Pid, (await rig.Log.WaitForAsync(BatonEventIds.SupervisorStarted))["WorkerPid"]);
                        break;
                    case (SupervisorPhase.Upgrading, SupervisorTrigger.WorkerFailed):
                        await rig.Log.WaitForAsync(BatonEventIds.UpgradeRolledBack);
                        Assert.Equal(0, scene.Serving.Terminations);
                        break;
                    case (SupervisorPhase.Serving, SupervisorTrigger.WorkerStopping):
                        Assert.Equal(0, scene.Serving.Terminations); // it stops by itself; no SIGTERM on top
                        break;
                    case (SupervisorPhase.Stopping, SupervisorTrigger.WorkerDied):
                        scene.Starting!.Exit(0); // the other worker goes too
                        Assert.Equal(7, await rig.Run.WaitAsync(Wait));
                        break;
                }

                break;
            case SupervisorAction.Ignore:
                Assert.Equal(before.Spawned, children.Count);
                Assert.Equal(before.Reloads, Snapshot.Of(rig).Reloads);
                if (scene.Gate is null)
                {
                    Assert.Equal(before.Terminations, Snapshot.Of(rig).Terminations);
                }

                Assert.Contains(rig.Log.Events, e => e.Id == BatonEventIds.TriggerNotApplied && Equals(e["Trigger"], cell.Trigger));
                break;
            case SupervisorAction.Refuse:
                Assert.Equal(before.Spawned, children.Count);
                Assert.Equal("test", (await rig.Log.WaitForAsync(BatonEventIds.UpgradeRefused))["Source"]);
                break;
            case SupervisorAction.StartWorker:
                Assert.Equal(before.Spawned + 1, children.Count);
                if (cell.Trigger == SupervisorTrigger.Upgrade)
                {
                    Assert.Equal("test", (await rig.Log.WaitForAsync(BatonEventIds.UpgradeRequested))["Source"]);
                }
                else
                {
                    Assert.Equal(7, (await rig.Log.WaitForAsync(BatonEventIds.WorkerDied))["ExitCode"]);
                }

                break;
            case SupervisorAction.DrainPrevious:
                var ready = await rig.Log.WaitForAsync(BatonEventIds.UpgradeReady);
                Assert.Equal(scene.Serving.Pid, ready["OldPid"]);
                Assert.Equal(scene.Starting!.Pid, ready["NewPid"]);
                break;
            case SupervisorAction.RetryStart:
                await rig.Log.WaitForAsync(BatonEventIds.HandoffFailed);
                Assert.Equal(before.Spawned, children.Count);
                // The backoff (1 s), then another replacement (which crashes: the next failure).
                await rig.NextAppliedAsync(SupervisorTrigger.WorkerFailed, () =>
                {
                    rig.Time.Advance(TimeSpan.FromSeconds(1));
                    return Task.CompletedTask;
                });
                Assert.Equal(before.Spawned + 1, children.Count);
                break;
            case SupervisorAction.Forward:
                if (cell.Trigger == SupervisorTrigger.Reload)
                {
                    Assert.Equal(1, scene.Serving.Reloads);
                    Assert.Equal(0, scene.Starting?.Reloads ?? 0);
                }
                else
                {
                    Assert.Equal(2, scene.Serving.Terminations); // the second signal: it stops fast
                }

                break;
            case SupervisorAction.StopWorkers:
                Assert.Equal(before.Spawned, children.Count);
                if (scene.Starting is { } told)
                {
                    Assert.Equal(1, told.Terminations); // the worker starting is told too
                }

                if (cell.From == SupervisorPhase.Starting)
                {
                    break;
                }

                // SIGTERM once per worker: a second would make the serving one stop fast.
                Assert.Equal(cell.Trigger == SupervisorTrigger.WorkerStopping || scene.Serving.Exited.IsCompleted ? 0 : 1, scene.Serving.Terminations);
                if (cell.From == SupervisorPhase.Stopping)
                {
                    Assert.DoesNotContain(rig.Log.Events, e => e.Id == BatonEventIds.UpgradeReady);
                }

                break;
            case SupervisorAction.Exit:
                Assert.Equal(cell.From == SupervisorPhase.Starting ? ExitCodes.Error : 0, await rig.Run.WaitAsync(Wait));
                break;
        }
    }

    // Brings the rig into the phase. Starting: the first worker is starting. Serving: it serves.
    // Upgrading: the second is starting. Restarting: the first died, the second is starting.
    // Stopping: after SIGTERM (with two workers for WorkerDied; with the second's report queued
    // behind the SIGTERM for WorkerReady and WorkerFailed). Stopped: every worker gone.
    private static async Task<Scene> DriveToAsync(SupervisorRig rig, SupervisorPhase phase, SupervisorTrigger trigger)
    {
        var children = rig.Spawner.Children;
        switch (phase)
        {
            case SupervisorPhase.Starting:
                await rig.SettledAsync();
                return new Scene(children[0], children[0], null);
            case SupervisorPhase.Serving:
                await rig.PhaseAsync(SupervisorPhase.Serving);
                return new Scene(children[0], null, null);
            case SupervisorPhase.Upgrading:
                await rig.PhaseAsync(SupervisorPhase.Serving);
                await Post(rig, () => rig.Supervisor.Upgrade("test upgrade", null));
                await rig.PhaseAsync(SupervisorPhase.Upgrading);
                await rig.SettledAsync();
                return new Scene(children[0], children[1], null);
            case SupervisorPhase.Restarting:
                await rig.PhaseAsync(SupervisorPhase.Serving);
                children[0].Exit(137);
                await rig.PhaseAsync(SupervisorPhase.Restarting);
                await rig.SettledAsync();
                return new Scene(children[0], children[1], null);
            case SupervisorPhase.Stopping when trigger is SupervisorTrigger.WorkerReady or SupervisorTrigger.WorkerFailed:
                var upgrading = await DriveToAsync(rig, SupervisorPhase.Upgrading, trigger);
                var gate = await rig.HoldLoopAsync();
                rig.Post(() => rig.Supervisor.Stop("SIGTERM"));
                upgrading.Starting!.Release();
                await rig.QueuedAsync(2); // SIGTERM, then the report
                return upgrading with { Gate = gate };
            case SupervisorPhase.Stopping:
                var before = await DriveToAsync(rig, trigger == SupervisorTrigger.WorkerDied ? SupervisorPhase.Upgrading : SupervisorPhase.Serving, trigger);
                await Post(rig, () => rig.Supervisor.Stop("SIGTERM"));
                await rig.PhaseAsync(SupervisorPhase.Stopping);
                await rig.SettledAsync();
                return before;
            case SupervisorPhase.Stopped:
                var serving = await DriveToAsync(rig, SupervisorPhase.Serving, trigger);
                await Post(rig, () => rig.Supervisor.Stop("SIGTERM"));
                await rig.PhaseAsync(SupervisorPhase.Stopping);
                serving.Serving.Exit(0);
                await rig.PhaseAsync(SupervisorPhase.Stopped);
                return serving;
            default:
                throw new ArgumentOutOfRangeException(nameof(phase), phase, null);
        }
    }

    private static Task Post(SupervisorRig rig, Action action)
    {
        rig.Post(action);
        return Task.CompletedTask;
    }

    /// <param name="Serving">The first worker (serving once ready).</param>
    /// <param name="Starting">The worker starting when the trigger comes, if any.</param>
    /// <param name="Gate">Holds the loop while a SIGTERM and a report queue up behind it.</param>
    private sealed record Scene(FakeChild Serving, FakeChild? Starting, ManualResetEventSlim? Gate);

    private sealed record Snapshot(int Spawned, string Terminations, string Reloads)
    {
        public static Snapshot Of(SupervisorRig rig) => new(rig.Spawner.Children.Count,
            string.Join(',', rig.Spawner.Children.Select(c => c.Terminations)), string.Join(',', rig.Spawner.Children.Select(c => c.Reloads)));
    }
}
