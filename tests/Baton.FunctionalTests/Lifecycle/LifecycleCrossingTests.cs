using System.Globalization;
using System.Net;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.FunctionalTests.Upgrade;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Lifecycle;

/// <summary>
/// Signals that cross an upgrade, on real processes (docs/lifecycle.md names these tests in its
/// table): a stop during the handoff waits for the upgrade's result and never takes the sockets the
/// new process holds; a stop while a rollback runs ends in one clean stop; SIGUSR2 upgrades.
/// </summary>
[Collection(UpgradeCollection.Name)]
public sealed class LifecycleCrossingTests
{
    private static readonly TimeSpan Timeout = UpgradeRig.EventTimeout;
    private static readonly ClientKind[] Kinds = [ClientKind.KeepAlive, ClientKind.NewConnection, ClientKind.H2c];

    // Defect 1: SIGQUIT, then SIGTERM to the old process while the new one is still starting. Before
    // the fix the old process filtered the shared sockets on its way out and every connect() to
    // the new one timed out.
    [Fact]
    public async Task SigtermDuringHandoff_NewProcessServesAndNoConnectionIsLost()
    {
        GatedCommand? gated = null;
        await using var rig = await UpgradeRig.StartAsync(r =>
        {
            gated = GatedCommand.ThenBaton(r.Host.Work.FullName, r.Host.ConfigPath);
            r.Host.Lifecycle["UpgradeCommand"] = gated.Command;
        });
        int old = rig.ServingPid;
        var stream = rig.Current;
        await using var load = new LoadGenerator(rig.PublicUri, rig.H2cUri);
        load.Phase = "before";
        load.Start(LoadCheck.Mixed());
        await LoadCheck.WaitForRequestsAsync(load, 200);

        Assert.True(Signals.Send(old, Signals.SIGQUIT));
        await stream.WaitForEventAsync(BatonEventIds.ListenersHandedOff, Timeout);
        load.Phase = "handoff + SIGTERM";
        Assert.True(Signals.Send(old, Signals.SIGTERM));
        var deferred = await stream.WaitForEventAsync(BatonEventIds.TriggerNotApplied, Timeout, e => e.Get("Trigger") == "Stop");
        Assert.Equal("HandingOff", deferred.Get("Phase"));
        await LoadCheck.WaitForRequestsAsync(load, load.Started + 100); // the old process still serves while it waits

        gated!.Open();
        var ready = await stream.WaitForEventAsync(BatonEventIds.UpgradeReady, Timeout, e => e.Get("OldPid") == UpgradeRig.Text(old));
        int newPid = int.Parse(ready.Get("NewPid")!, CultureInfo.InvariantCulture);
        await rig.AssertDrainedAndExitedAsync(old);

        // The new process accepts on the sockets the old one left: new connections keep working.
        load.Phase = "after the old process exited";
        await LoadCheck.WaitForRequestsAsync(load, load.Started + 300);
        using (var client = Clients.Http1(TimeSpan.FromSeconds(5)))
        {
            var response = await client.GetAsync(new Uri(rig.PublicUri, "whoami"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await load.StopAsync();
        LoadCheck.AssertNoneFailed(load.Samples, Kinds);
        Assert.DoesNotContain(stream.Events, e => e.EventId == BatonEventIds.IllegalTrigger);
        Assert.True(Signals.Send(newPid, Signals.SIGTERM));
        await ProcessWatch.WaitForExitAsync(newPid, Timeout);
    }

    // SIGTERM while a failed upgrade is being rolled back (the new process ignores SIGTERM, so the
    // rollback waits 3 s before SIGKILL): rolled back first, then one orderly stop, exit 0.
    [Fact]
    public async Task SigtermWhileRollbackRuns_RolledBackThenOneCleanStop()
    {
        GatedCommand? hung = null;
        await using var rig = await UpgradeRig.StartAsync(r =>
        {
            hung = GatedCommand.Hung(r.Host.Work.FullName);
            r.Host.Lifecycle["UpgradeCommand"] = hung.Command;
            r.Host.Lifecycle["UpgradeTimeout"] = "00:00:01";
            r.Host.Lifecycle["ShutdownGracePeriod"] = "00:00:01";
        });
        int old = rig.ServingPid;
        var stream = rig.Current;
        await using var load = new LoadGenerator(rig.PublicUri, rig.H2cUri);
        load.Phase = "before";
        load.Start(LoadCheck.Mixed());
        await LoadCheck.WaitForRequestsAsync(load, 200);

        Assert.True(Signals.Send(old, Signals.SIGQUIT));
        var stopping = await stream.WaitForEventAsync(BatonEventIds.UpgradeProgress, Timeout, e => e.Get("Outcome") == "TimedOut");
        int child = int.Parse(stopping.Get("NewPid")!, CultureInfo.InvariantCulture);
        load.Phase = "rollback + SIGTERM";
        Assert.True(Signals.Send(old, Signals.SIGTERM));

        await stream.WaitForEventAsync(BatonEventIds.UpgradeRolledBack, Timeout);
        await stream.WaitForEventAsync(BatonEventIds.PhaseChanged, Timeout, e => e.Get("Phase") == "GracePeriod");
        await load.StopAsync(); // before the listeners close: the grace period still serves
        LoadCheck.AssertNoneFailed(load.Samples, Kinds);

        var phases = stream.Events.Where(e => e.EventId == BatonEventIds.PhaseChanged).Select(e => e.Get("Phase")).ToArray();
        Assert.Equal(["Running", "UpgradeStarting", "HandingOff", "Running", "GracePeriod"], phases.Take(5));
        await rig.AssertDrainedAndExitedAsync(old);
        Assert.False(ProcessWatch.IsAlive(child), $"the hung new process {child} outlived the rollback");
        Assert.DoesNotContain(stream.Events, e => e.EventId == BatonEventIds.IllegalTrigger);
    }

    // Defect 15: SIGUSR2 is an upgrade signal too (SIGQUIT cannot be taken back where a shell
    // started Baton with it ignored).
    [Fact]
    public async Task Sigusr2_UpgradesLikeSigquit()
    {
        await using var rig = await UpgradeRig.StartAsync();
        int old = rig.ServingPid;

        Assert.True(Signals.Send(old, Signals.SIGUSR2));

        var ready = await rig.Current.WaitForEventAsync(BatonEventIds.UpgradeReady, Timeout, e => e.Get("OldPid") == UpgradeRig.Text(old));
        await rig.AssertDrainedAndExitedAsync(old);
        var requested = rig.Current.Events.Single(e => e.EventId == BatonEventIds.UpgradeRequested);
        Assert.Equal("SIGUSR2", requested.Get("Source"));
        Assert.True(Signals.Send(int.Parse(ready.Get("NewPid")!, CultureInfo.InvariantCulture), Signals.SIGTERM));
    }

    // Defect 15, the case it comes from: a job started with SIGQUIT ignored (`baton run &` in a
    // non-interactive shell) still upgrades on SIGUSR2, and says why SIGQUIT cannot.
    [Fact]
    public async Task SigquitIgnoredAtStart_SaysSoAndSigusr2StillUpgrades()
    {
        await using var host = await BatonTestHost.CreateAsync();
        host.Lifecycle["EnableZeroDowntime"] = true;
        host.WriteConfig();
        await using var baton = StartWithSignalIgnored(host, "QUIT");
        await baton.WaitForEventAsync(BatonEventIds.Started, Timeout);
        var ignored = await baton.WaitForEventAsync(BatonEventIds.SignalIgnored, Timeout, e => e.Get("Signal") == "SIGQUIT");
        Assert.Contains("SIGUSR2", ignored.Message);

        Assert.True(baton.Signal(Signals.SIGUSR2));

        var ready = await baton.WaitForEventAsync(BatonEventIds.UpgradeReady, Timeout);
        Assert.Equal(0, await baton.WaitForExitAsync(Timeout));
        int newPid = int.Parse(ready.Get("NewPid")!, CultureInfo.InvariantCulture);
        Assert.True(Signals.Send(newPid, Signals.SIGTERM));
        await ProcessWatch.WaitForExitAsync(newPid, Timeout);
    }

    // The same for SIGHUP under nohup (which starts its command with SIGHUP ignored): .NET leaves
    // it ignored, so SIGHUP cannot reload; Baton says so at start instead of dropping SIGHUPs silently.
    [Fact]
    public async Task SighupIgnoredAtStart_SaysSoAtStart()
    {
        await using var host = await BatonTestHost.CreateAsync();
        host.WriteConfig();
        await using var baton = StartWithSignalIgnored(host, "HUP");
        await baton.WaitForEventAsync(BatonEventIds.Started, Timeout);
        var ignored = await baton.WaitForEventAsync(BatonEventIds.SignalIgnored, Timeout, e => e.Get("Signal") == "SIGHUP");
        Assert.Contains("nohup", ignored.Message);
        Assert.True(baton.Signal(Signals.SIGTERM));
        Assert.Equal(0, await baton.WaitForExitAsync(Timeout));
    }

    // Baton started the way a shell starts it with <paramref name="signal"/> ignored (a background
    // job: QUIT; nohup: HUP), through `trap '' SIGNAL; exec baton ...`.
    private static BatonProcess StartWithSignalIgnored(BatonTestHost host, string signal)
    {
        var (file, prefix) = BatonProcess.Command();
        var exec = string.Join(' ', prefix.Append(file).Select(a => $"'{a}'"));
        return BatonProcess.Start(new System.Diagnostics.ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", $"trap '' {signal}; exec {exec} run --config '{host.ConfigPath}' --log-format json" },
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        });
    }
}
