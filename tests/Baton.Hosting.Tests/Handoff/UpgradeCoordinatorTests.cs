using System.ComponentModel;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Draining;
using Baton.Hosting.Handoff;
using Baton.Hosting.Interop;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Systemd;
using Baton.Hosting.Tests.Lifecycle;

namespace Baton.Hosting.Tests.Handoff;

/// <summary>
/// The old process's side of the handoff (O1–O8) against fake new processes: one that reports
/// ready, crashes, hangs, reports a config error or sends garbage; and a peer on the upgrade socket.
/// </summary>
public sealed class UpgradeCoordinatorTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ReExec_ChildReportsReady_AcknowledgesAndDrains()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.ReportsReady));

        var result = await rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None).WaitAsync(Wait);

        var child = Assert.Single(rig.Spawner.Children);
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(child.Pid, result.NewPid);
        Assert.Contains($"pid {child.Pid} (generation 2) is serving", result.Message);
        Assert.Equal(LifecyclePhase.UpgradeDraining, rig.State.Phase);
        Assert.Equal(1, rig.Lifecycle.Lifetime.StopCalls); // O8: this process stops accepting and drains
        await child.Run.WaitAsync(Wait);
        Assert.Equal(HandoffMessage.Ack, child.Answer?.Type);
        Assert.False(child.Killed);

        var ready = rig.Log.Events.Single(e => e.Id == BatonEventIds.UpgradeReady);
        Assert.Equal(Environment.ProcessId, ready["OldPid"]);
        Assert.Equal(child.Pid, ready["NewPid"]);
        Assert.Equal(2, ready["Generation"]);
        Assert.Equal(child.Pid, rig.Log.Events.Single(e => e.Id == BatonEventIds.ListenersHandedOff)["NewPid"]);
        Assert.DoesNotContain(rig.Log.Events, e => e.Id == BatonEventIds.UpgradeRolledBack);
    }

    [Fact]
    public async Task ReExec_Spawn_InheritsExactlyTheListenersAndTheChannelNamedInTheEnvironment()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.ReportsReady), o => o.UpgradeCommand = "/opt/baton/baton run --config '/etc/baton/my config.json'");

        await rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None).WaitAsync(Wait);

        var child = Assert.Single(rig.Spawner.Children);
        Assert.Equal(["/opt/baton/baton", "run", "--config", "/etc/baton/my config.json"], child.Command);
        Assert.True(ListenFdsVariable.TryParse(child.Environment[ListenFdsVariable.Name], out var entries, out var error), error);
        Assert.Equal(rig.Listeners.Select(l => (l.Fd, l.Key)), entries);
        int channel = int.Parse(child.Environment[ListenFdsVariable.ChannelName], CultureInfo.InvariantCulture);
        Assert.Equal(entries.Select(e => e.Fd).Append(channel).Order(), child.InheritFds.Order());
        Assert.True(child.InheritedListenersValid, "the inherited fds must be open listening sockets at spawn");
        Assert.Equal("2", child.Environment[ProcessIdentity.GenerationVariable]);
        Assert.Equal([Environment.ProcessId], ListenFdsVariable.ParsePids(child.Environment[ListenFdsVariable.DrainingName]));
        // The coordinator closed its copy of the child's channel end, and its listeners stay close-on-exec.
        Assert.All(rig.Listeners, l => Assert.True(ListenSockets.IsCloseOnExec(l.Fd)));
        Assert.NotEqual(child.ChannelIdentity, FakeChild.FdIdentity(channel)); // closed (its number may be reused by a parallel test)
    }

    [Fact]
    public async Task ReExec_ChildCrashesAtStart_RolledBackWithItsExitCodeAndTheNextUpgradeRuns()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.Crashes, FakeBehaviour.ReportsReady));

        var result = await rig.Coordinator.UpgradeAsync("baton upgrade", CancellationToken.None).WaitAsync(Wait);

        var crashed = rig.Spawner.Children[0];
        Assert.False(result.Succeeded);
        Assert.Equal($"upgrade rolled back, still serving on pid {Environment.ProcessId}: the new process (pid {crashed.Pid}) exited with code 3 before reporting ready", result.Message);
        AssertRolledBack(rig, $"pid {crashed.Pid}) exited with code 3");

        // One upgrade at a time means one *running* upgrade: a rolled-back one frees the slot.
        var next = await rig.Coordinator.UpgradeAsync("baton upgrade", CancellationToken.None).WaitAsync(Wait);
        Assert.True(next.Succeeded, next.Message);
        Assert.Equal(LifecyclePhase.UpgradeDraining, rig.State.Phase);
    }

    [Fact]
    public async Task ReExec_ChildHangsBeforeReady_KilledAtUpgradeTimeoutAndRolledBack()
    {
        var timeout = TimeSpan.FromMilliseconds(300);
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.Hangs), o => o.UpgradeTimeout = timeout);
        var started = System.Diagnostics.Stopwatch.StartNew();

        var result = await rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None).WaitAsync(Wait);

        var child = Assert.Single(rig.Spawner.Children);
        Assert.False(result.Succeeded);
        Assert.Contains($"the new process (pid {child.Pid}) did not report ready within {timeout} (Lifecycle:UpgradeTimeout); killed it", result.Message);
        Assert.True(child.Killed);
        Assert.InRange(started.Elapsed, timeout, Wait);
        AssertRolledBack(rig, "did not report ready");
    }

    [Fact]
    public async Task ReExec_ChildReportsConfigError_RolledBackNamingTheError()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.ReportsConfigError));

        var result = await rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None).WaitAsync(Wait);

        Assert.False(result.Succeeded);
        Assert.EndsWith("failed: config error: Baton:Lifecycle:DrainTimeout = 'banana'", result.Message);
        AssertRolledBack(rig, "config error");
    }

    [Fact]
    public async Task ReExec_ChildReportsFailedWithFds_TheFdsAreClosedInTheOldProcess()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.ReportsFailedWithFds));

        var result = await rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None).WaitAsync(Wait);

        Assert.False(result.Succeeded);
        AssertRolledBack(rig, "address in use");
        var child = Assert.Single(rig.Spawner.Children);
        Assert.Equal(5, child.Probes.Count);
        foreach (var probe in child.Probes)
        {
            Assert.True(await probe.AllCopiesClosedAsync(Wait), "an fd that came with 'failed' leaked in the old process");
            probe.Dispose();
        }
    }

    [Fact]
    public async Task ReExec_ChildSendsGarbage_KilledAndRolledBack()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.SendsGarbage));

        var result = await rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None).WaitAsync(Wait);

        Assert.False(result.Succeeded);
        Assert.Contains("sent garbage: not JSON", result.Message);
        Assert.True(Assert.Single(rig.Spawner.Children).Killed);
        AssertRolledBack(rig, "garbage");
    }

    [Fact]
    public async Task ReExec_SpawnFails_RolledBackWithTheReason()
    {
        var spawner = new FakeSpawner { Throw = new Win32Exception(2, "No such file or directory") };
        using var rig = new CoordinatorRig(spawner);

        var result = await rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None).WaitAsync(Wait);

        Assert.False(result.Succeeded);
        Assert.Contains("cannot start the new process: No such file or directory", result.Message);
        AssertRolledBack(rig, "cannot start");
    }

    [Fact]
    public async Task SecondUpgradeWhileOneRuns_IsRefusedAndTheFirstIsUnaffected()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.Hangs), o => o.UpgradeTimeout = TimeSpan.FromSeconds(30));
        var first = rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None);
        await rig.State.WaitForPhaseAsync(CancellationToken.None, LifecyclePhase.HandingOff).WaitAsync(Wait);

        var second = await rig.Coordinator.UpgradeAsync("baton upgrade", CancellationToken.None).WaitAsync(Wait);

        Assert.False(second.Succeeded);
        Assert.Equal("upgrade refused: an upgrade is already in progress; one upgrade at a time", second.Message);
        Assert.Equal("baton upgrade", rig.Log.Events.Single(e => e.Id == BatonEventIds.UpgradeRefused)["Source"]);
        Assert.Equal(LifecyclePhase.HandingOff, rig.State.Phase);
        Assert.Single(rig.Spawner.Children);

        rig.Spawner.Children[0].Exit(1);
        var firstResult = await first.WaitAsync(Wait);
        Assert.False(firstResult.Succeeded);
        Assert.Equal(LifecyclePhase.Running, rig.State.Phase);
    }

    [Fact]
    public async Task Disabled_IsRefusedAndNothingStarts()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.ReportsReady), o => o.EnableZeroDowntime = false);

        var result = await rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None).WaitAsync(Wait);

        Assert.False(result.Succeeded);
        Assert.Contains("EnableZeroDowntime", result.Message);
        Assert.Empty(rig.Spawner.Children);
        Assert.Equal(LifecyclePhase.Running, rig.State.Phase);
    }

    [Fact]
    public async Task NotRunning_IsRefusedAndNothingStarts()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.ReportsReady), running: false);

        var result = await rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None).WaitAsync(Wait);

        Assert.False(result.Succeeded);
        Assert.Equal("upgrade refused: still starting", result.Message);
        Assert.Empty(rig.Spawner.Children);
    }

    [Fact]
    public async Task MaxDrainingGenerations_ReachedByALiveOlderGeneration_IsRefusedNamingTheCap()
    {
        // This test process stands in for an older generation that is still draining.
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.ReportsReady), o => o.MaxDrainingGenerations = 1, drainingPids: [Environment.ProcessId, 999_999_999]);

        var result = await rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None).WaitAsync(Wait);

        Assert.False(result.Succeeded);
        Assert.Equal($"upgrade refused: 1 older generation(s) still draining (pids {Environment.ProcessId}); Lifecycle:MaxDrainingGenerations is 1", result.Message);
        Assert.Empty(rig.Spawner.Children);
    }

    [Fact]
    public async Task UpgradeSocketPeer_ReceivesTheListenersByKeyAndReportsReady()
    {
        using var rig = new CoordinatorRig(new FakeSpawner());
        var (mine, theirs) = SocketPairs.Create();
        using var peer = new UpgradeChannel(SocketPairs.Adopt(theirs));
        const int peerPid = 999_999_999; // no such process: a rollback could not signal anything real

        var upgrade = rig.Coordinator.AcceptPeerAsync(new UpgradeChannel(SocketPairs.Adopt(mine)), peerPid);
        var (listeners, fds) = await peer.ReceiveAsync(Wait);
        try
        {
            Assert.Equal(HandoffMessage.Listeners, listeners?.Type);
            Assert.Equal(rig.Listeners.Select(l => l.Key), listeners!.Keys);
            Assert.Equal(2, listeners.Generation);
            Assert.Equal([Environment.ProcessId], listeners.DrainingPids!);
            Assert.Equal(rig.Listeners.Count, fds.Count);
            foreach (var (fd, listener) in fds.Zip(rig.Listeners))
            {
                Assert.True(ListenSockets.TryValidate(fd, AddressFamily.Unspecified, out var info, out var error), error);
                Assert.Equal(listener.EndPoint, info.LocalEndPoint);
                Assert.True(ListenSockets.IsCloseOnExec(fd));
            }
        }
        finally
        {
            fds.ForEach(ListenSockets.Close);
        }

        await peer.SendAsync(new HandoffMessage { Type = HandoffMessage.Ready, Pid = peerPid });
        var (ack, _) = await peer.ReceiveAsync(Wait);
        var result = await upgrade.WaitAsync(Wait);

        Assert.Equal(HandoffMessage.Ack, ack?.Type);
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(peerPid, result.NewPid);
        Assert.Equal(LifecyclePhase.UpgradeDraining, rig.State.Phase);
    }

    [Fact]
    public async Task UpgradeSocketPeer_DisconnectsBeforeReady_RolledBack()
    {
        using var rig = new CoordinatorRig(new FakeSpawner());
        var (mine, theirs) = SocketPairs.Create();
        var peer = new UpgradeChannel(SocketPairs.Adopt(theirs));

        var upgrade = rig.Coordinator.AcceptPeerAsync(new UpgradeChannel(SocketPairs.Adopt(mine)), 999_999_999);
        var (_, fds) = await peer.ReceiveAsync(Wait);
        fds.ForEach(ListenSockets.Close);
        peer.Dispose();
        var result = await upgrade.WaitAsync(Wait);

        Assert.False(result.Succeeded);
        Assert.Contains("exited before reporting ready", result.Message);
        AssertRolledBack(rig, "before reporting ready");
    }

    [Fact]
    public async Task UpgradeSocketPeer_GoneRightAfterHello_RolledBackAndTheNextUpgradeRuns()
    {
        using var rig = new CoordinatorRig(new FakeSpawner(FakeBehaviour.ReportsReady));
        var (mine, theirs) = SocketPairs.Create();
        ListenSockets.Close(theirs); // said hello, then went away before the listeners were sent

        var result = await rig.Coordinator.AcceptPeerAsync(new UpgradeChannel(SocketPairs.Adopt(mine)), 999_999_999).WaitAsync(Wait);

        Assert.False(result.Succeeded);
        Assert.Contains("(pid 999999999) went away before it took the listeners", result.Message);
        AssertRolledBack(rig, "went away");
        var next = await rig.Coordinator.UpgradeAsync("SIGQUIT", CancellationToken.None).WaitAsync(Wait);
        Assert.True(next.Succeeded, next.Message);
    }

    private static void AssertRolledBack(CoordinatorRig rig, string reason)
    {
        Assert.Equal(LifecyclePhase.Running, rig.State.Phase);
        Assert.Equal(0, rig.Lifecycle.Lifetime.StopCalls);
        Assert.Contains(reason, (string)rig.Log.Events.Last(e => e.Id == BatonEventIds.UpgradeRolledBack)["Reason"]!);
        Assert.DoesNotContain(rig.Log.Events, e => e.Id == BatonEventIds.UpgradeReady);
        // The listeners are untouched: still open and listening in this process.
        Assert.All(rig.Listeners, l => Assert.True(ListenSockets.TryValidate(l.Fd, AddressFamily.InterNetwork, out _, out var error), error));
    }
}
