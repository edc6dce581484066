using System.Diagnostics;
using System.Globalization;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.FunctionalTests.Lifecycle;
using Baton.FunctionalTests.Upgrade;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Supervision;

/// <summary>
/// The supervisor's dangerous crossings (defects 6 and 7 of the one-lifecycle issue): a stop wins
/// at once over a crash-looping worker and over an upgrade in progress, and a preStop under the
/// supervisor is one orderly stop of the service, not a worker restart.
/// </summary>
public sealed class SupervisorCrossingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SigtermWhileTheWorkerCrashLoops_StopsAtOnce()
    {
        await using var host = await BatonTestHost.CreateAsync();
        host.WriteConfig();
        await using var supervisor = Start(host);
        var started = await supervisor.WaitForEventAsync(BatonEventIds.SupervisorStarted, Timeout);
        int worker = int.Parse(started.Get("WorkerPid")!, CultureInfo.InvariantCulture);

        // Break the config and kill the worker: every replacement fails, with a growing backoff.
        File.WriteAllText(host.ConfigPath, "{ \"Baton\": ");
        Assert.True(Signals.Send(worker, Signals.SIGKILL));
        await supervisor.WaitForEventAsync(BatonEventIds.SupervisorPhaseChanged, Timeout, e => e.Get("Phase") == "Restarting");
        await WaitForFailedStartsAsync(supervisor, 2);

        var stop = Stopwatch.StartNew();
        Assert.True(supervisor.Signal(Signals.SIGTERM));
        int code = await supervisor.WaitForExitAsync(Timeout);
        stop.Stop();

        // Before the fix SIGTERM queued behind the restart loop: four more worker starts over ~20 s.
        Assert.True(stop.Elapsed < TimeSpan.FromSeconds(5), $"the supervisor took {stop.Elapsed} to stop");
        Assert.Equal(Hosting.Lifecycle.ExitCodes.Error, code);
        var afterStop = supervisor.Events.SkipWhile(e => !(e.EventId == BatonEventIds.SupervisorPhaseChanged && e.Get("Phase") == "Stopping")).ToList();
        Assert.NotEmpty(afterStop);
        Assert.True(afterStop.Count(e => e.EventId == BatonEventIds.HandoffFailed) <= 1, "no new worker starts after the stop: " + string.Join(" | ", afterStop.Select(e => e.Message)));
    }

    [Fact]
    public async Task SigtermDuringASupervisorUpgrade_DoesNotWaitForTheUpgradeTimeout()
    {
        await using var host = await BatonTestHost.CreateAsync();
        var gated = GatedCommand.ThenBaton(host.Work.FullName, host.ConfigPath);
        host.Lifecycle["EnableZeroDowntime"] = true;
        host.Lifecycle["UpgradeCommand"] = gated.Command; // the supervisor's worker command
        host.Lifecycle["UpgradeTimeout"] = "00:00:20";
        host.WriteConfig();
        gated.Open();
        await using var supervisor = Start(host);
        var started = await supervisor.WaitForEventAsync(BatonEventIds.SupervisorStarted, Timeout);
        int worker = int.Parse(started.Get("WorkerPid")!, CultureInfo.InvariantCulture);

        gated.Close(); // the next worker hangs before it starts Baton
        Assert.True(supervisor.Signal(Signals.SIGQUIT));
        await supervisor.WaitForEventAsync(BatonEventIds.SupervisorPhaseChanged, Timeout, e => e.Get("Phase") == "Upgrading");

        var stop = Stopwatch.StartNew();
        Assert.True(supervisor.Signal(Signals.SIGTERM));
        int code = await supervisor.WaitForExitAsync(Timeout);

        Assert.True(stop.Elapsed < TimeSpan.FromSeconds(10), $"the supervisor took {stop.Elapsed} to stop (UpgradeTimeout is 20 s)");
        Assert.Equal(0, code); // the serving worker drained
        Assert.False(ProcessWatch.IsAlive(worker));
        Assert.DoesNotContain(supervisor.Events, e => e.EventId == BatonEventIds.IllegalTrigger);
    }

    [Fact]
    public async Task PrestopUnderTheSupervisor_IsOneStopOfTheService()
    {
        await using var host = await BatonTestHost.CreateAsync();
        host.Lifecycle["ShutdownGracePeriod"] = "00:00:01";
        host.WriteConfig();
        await using var supervisor = Start(host);
        var started = await supervisor.WaitForEventAsync(BatonEventIds.SupervisorStarted, Timeout);
        int worker = int.Parse(started.Get("WorkerPid")!, CultureInfo.InvariantCulture);
        var admin = (await supervisor.WaitForEventAsync(BatonEventIds.ProxyListening, Timeout, e => e.Get("Key") == "@admin")).Get("EndPoint")!;

        var prestop = await BatonCli.RunAsync(["prestop", "--admin", admin]);
        Assert.True(prestop.ExitCode == 0, prestop.ToString());
        await supervisor.WaitForEventAsync(BatonEventIds.SupervisorPhaseChanged, Timeout, e => e.Get("Phase") == "Stopping");
        // The kubelet's SIGTERM follows preStop: forwarded, and still one stop (not a fast stop).
        supervisor.Signal(Signals.SIGTERM);

        int code = await supervisor.WaitForExitAsync(Timeout);

        Assert.Equal(0, code);
        Assert.False(ProcessWatch.IsAlive(worker));
        Assert.DoesNotContain(supervisor.Events, e => e.EventId == BatonEventIds.WorkerDied);
        Assert.DoesNotContain(supervisor.Events, e => e.EventId == BatonEventIds.Started && e.Get("Generation") == "2");
        Assert.DoesNotContain(supervisor.Events, e => e.EventId == BatonEventIds.FastStopRequested);
        Assert.Single(supervisor.Events, e => e.EventId == BatonEventIds.DrainStarted);
    }

    private static BatonProcess Start(BatonTestHost host)
        => BatonProcess.Start(["run", "--supervise", "--config", host.ConfigPath, "--log-format", "json"]);

    private static async Task WaitForFailedStartsAsync(BatonProcess supervisor, int count)
    {
        var seen = new HashSet<LogEvent>(ReferenceEqualityComparer.Instance);
        while (seen.Count < count)
        {
            seen.Add(await supervisor.WaitForEventAsync(BatonEventIds.HandoffFailed, Timeout, e => !seen.Contains(e)));
        }
    }
}
