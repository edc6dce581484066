using Baton.Hosting.Diagnostics;
using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Supervision;
using Baton.Hosting.Tests.Handoff;

namespace Baton.Hosting.Tests.Supervision;

/// <summary>
/// The supervisor's table against fake workers on fake time: a stop wins at once over a crash
/// loop and over an upgrade in progress, a worker's own stop (preStop) is one stop of the service,
/// and an upgrade drains the previous worker.
/// </summary>
public sealed class SupervisorCrossingTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task StopWhileRestarting_EndsAtOnceAndStartsNothingMore()
    {
        await using var rig = new SupervisorRig(FakeBehaviour.ReportsReady, FakeBehaviour.Crashes, FakeBehaviour.Crashes);
        await rig.PhaseAsync(SupervisorPhase.Serving);

        rig.Spawner.Children[0].Exit(137); // killed -9
        await rig.PhaseAsync(SupervisorPhase.Restarting);
        await rig.Log.WaitForAsync(BatonEventIds.HandoffFailed);
        Assert.Equal(2, rig.Spawner.Children.Count);
        rig.Time.Advance(TimeSpan.FromSeconds(1)); // the first backoff
        await rig.Log.WaitForAsync(BatonEventIds.HandoffFailed, e => rig.Log.Events.Count(x => x.Id == BatonEventIds.HandoffFailed) >= 2);

        rig.Supervisor.Post(() => rig.Supervisor.Stop("SIGTERM"));
        int code = await rig.Run.WaitAsync(Wait);

        Assert.Equal(ExitCodes.Error, code);
        Assert.Equal(SupervisorPhase.Stopped, rig.Supervisor.Phase);
        rig.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(3, rig.Spawner.Children.Count);
    }

    [Fact]
    public async Task StopWhileARestartFails_EndsOnceTheFailedWorkerIsGone()
    {
        await using var rig = new SupervisorRig(FakeBehaviour.ReportsReady, FakeBehaviour.FailsWhenReleased);
        await rig.PhaseAsync(SupervisorPhase.Serving);
        rig.Spawner.Children[0].Exit(137);
        await rig.PhaseAsync(SupervisorPhase.Restarting);
        await rig.SettledAsync();

        // The replacement's failure reaches the supervisor only after SIGTERM: the last process it waited for.
        var gate = await rig.HoldLoopAsync();
        rig.Supervisor.Post(() => rig.Supervisor.Stop("SIGTERM"));
        rig.Spawner.Children[1].Release();
        await rig.QueuedAsync(2);
        gate.Set();

        Assert.Equal(ExitCodes.Error, await rig.Run.WaitAsync(Wait));
        Assert.Equal(SupervisorPhase.Stopped, rig.Supervisor.Phase);
    }

    [Fact]
    public async Task PidFileInAMissingDirectory_NoWorkerStartsAndTheSupervisorSaysWhy()
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"baton-missing-{Guid.NewGuid():N}", "baton.pid");
        await using var rig = new SupervisorRig(false, o => o.PidFile = pidFile, FakeBehaviour.ReportsReady);

        Assert.Equal(ExitCodes.Usage, await rig.Run.WaitAsync(Wait));

        Assert.Empty(rig.Spawner.Children);
        Assert.Contains(pidFile, (string)rig.Log.Events.Single(e => e.Id == BatonEventIds.HandoffFailed)["Reason"]!);
    }

    [Fact]
    public async Task PidFile_WrittenOnceTheFirstWorkerServesAndRemovedAtExit()
    {
        var directory = Directory.CreateTempSubdirectory("baton-pid-");
        var pidFile = Path.Combine(directory.FullName, "baton.pid");
        try
        {
            await using var rig = new SupervisorRig(true, o => o.PidFile = pidFile, FakeBehaviour.ReportsReady);
            await rig.Log.WaitForAsync(BatonEventIds.PidFileWritten);
            Assert.Equal($"{Environment.ProcessId}\n", await File.ReadAllTextAsync(pidFile));

            rig.Supervisor.Post(() => rig.Supervisor.Stop("SIGTERM"));

            Assert.Equal(0, await rig.Run.WaitAsync(Wait));
            Assert.False(File.Exists(pidFile));
            Assert.Empty(directory.GetFiles()); // no temp file left either
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task StopWhileUpgrading_DoesNotWaitForTheNewWorker()
    {
        await using var rig = new SupervisorRig(childrenExitOnTerminate: true, FakeBehaviour.ReportsReady, FakeBehaviour.Hangs);
        await rig.PhaseAsync(SupervisorPhase.Serving);
        rig.Supervisor.Post(() => rig.Supervisor.Upgrade("SIGQUIT", null));
        await rig.PhaseAsync(SupervisorPhase.Upgrading);

        rig.Supervisor.Post(() => rig.Supervisor.Stop("SIGTERM"));
        int code = await rig.Run.WaitAsync(Wait); // UpgradeTimeout is an hour

        Assert.Equal(0, code);
        Assert.All(rig.Spawner.Children, c => Assert.Equal(1, c.Terminations));
    }

    [Fact]
    public async Task WorkerStopping_IsOneStopOfTheService()
    {
        await using var rig = new SupervisorRig(FakeBehaviour.ReportsReady);
        await rig.PhaseAsync(SupervisorPhase.Serving);
        var worker = rig.Spawner.Children[0];

        await worker.SendAsync(new HandoffMessage { Type = HandoffMessage.Stopping, Pid = worker.Pid, Reason = "prestop" });
        await rig.PhaseAsync(SupervisorPhase.Stopping);
        worker.Exit(0);
        int code = await rig.Run.WaitAsync(Wait);

        Assert.Equal(0, code);
        Assert.Single(rig.Spawner.Children); // no replacement
        Assert.DoesNotContain(rig.Log.Events, e => e.Id == BatonEventIds.WorkerDied);
    }

    [Fact]
    public async Task Upgrade_NewWorkerReady_ServesAndTheNextStopEndsBoth()
    {
        await using var rig = new SupervisorRig(childrenExitOnTerminate: true, FakeBehaviour.ReportsReady, FakeBehaviour.ReportsReady);
        await rig.PhaseAsync(SupervisorPhase.Serving);
        rig.Supervisor.Post(() => rig.Supervisor.Upgrade("SIGQUIT", null));
        await rig.Log.WaitForAsync(BatonEventIds.UpgradeReady);
        Assert.Equal(SupervisorPhase.Serving, rig.Supervisor.Phase);

        rig.Supervisor.Post(() => rig.Supervisor.Stop("SIGTERM"));

        Assert.Equal(0, await rig.Run.WaitAsync(Wait));
        Assert.Equal(0, rig.Log.Events.Count(e => e.Id == BatonEventIds.IllegalTrigger));
    }

    [Fact]
    public void Table_UpgradeIsRefusedOutsideServing()
    {
        foreach (var phase in Enum.GetValues<SupervisorPhase>().Where(p => p != SupervisorPhase.Serving))
        {
            Assert.NotEqual(SupervisorAction.StartWorker, SupervisorTable.Find(phase, SupervisorTrigger.Upgrade)?.Action);
        }
    }
}
