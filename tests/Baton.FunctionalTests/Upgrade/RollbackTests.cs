using Baton.Testing;
using Baton.Hosting.Diagnostics;
using Xunit.Abstractions;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// A bad new process never takes the service down: whether it exits at start, hangs before ready or
/// has a bad config, the old one keeps serving (0 failed requests under load), logs
/// <c>UpgradeRolledBack</c> with the reason, <c>baton upgrade</c> exits non-zero printing it, and a
/// good upgrade still works afterwards.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class RollbackTests
{
    private readonly ITestOutputHelper _output;

    public RollbackTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public Task NewProcessExitsAtStart_RolledBackAndOldKeepsServing()
        => RollbackAsync(
            configure: rig => rig.Host.Lifecycle["UpgradeCommand"] = "/bin/false",
            breakIt: _ => { },
            fixIt: _ => { },
            reason: ["exited with code 1 before reporting ready"],
            good: rig => rig.ViaSocketAsync());

    [Fact]
    public Task NewProcessHangsBeforeReady_KilledAtUpgradeTimeoutRolledBackAndOldKeepsServing()
        => RollbackAsync(
            configure: rig =>
            {
                rig.Host.Lifecycle["UpgradeCommand"] = "/bin/sleep 30";
                rig.Host.Lifecycle["UpgradeTimeout"] = "00:00:02";
            },
            breakIt: _ => { },
            fixIt: _ => { },
            reason: ["did not report ready within 00:00:02", "Lifecycle:UpgradeTimeout", "killed it"],
            good: rig => rig.ViaSocketAsync(),
            minimum: TimeSpan.FromSeconds(2));

    [Fact]
    public Task NewProcessHasInvalidConfig_ChildReportsTheConfigErrorRolledBackAndOldKeepsServing()
        => RollbackAsync(
            configure: _ => { },
            breakIt: rig =>
            {
                rig.Host.Lifecycle["DrainTimeout"] = "banana";
                rig.Host.WriteConfig();
            },
            fixIt: rig =>
            {
                rig.Host.Lifecycle["DrainTimeout"] = "00:00:10";
                rig.Host.WriteConfig();
            },
            reason: ["failed: config error", "Baton:Lifecycle:DrainTimeout", "banana"],
            good: rig => rig.ReExecAsync(),
            childSays: "baton: config error: Baton:Lifecycle:DrainTimeout = 'banana'");

    // Defect 2 of issue 11: every fallible step of the new process (PID file, upgrade socket) runs
    // before it reports ready. A path that is a directory passes `check` (its parent is writable)
    // and fails only when written, so it shows the order; a missing directory fails `check` (N1).
    [Theory]
    [InlineData("PidFile", "PidFile")]
    [InlineData("SocketPath", "upgrade socket")]
    public Task NewProcessCannotWriteItsPidFileOrBindItsUpgradeSocket_ReportsFailedBeforeReadyRolledBackAndOldKeepsServing(string key, string what)
    {
        string? saved = null;
        return RollbackAsync(
            configure: _ => { },
            breakIt: rig =>
            {
                saved = rig.Host.Lifecycle[key]!.GetValue<string>();
                rig.Host.Lifecycle[key] = Directory.CreateDirectory(Path.Combine(rig.Host.Work.FullName, "a-directory")).FullName;
                rig.Host.WriteConfig();
            },
            fixIt: rig =>
            {
                rig.Host.Lifecycle[key] = saved!;
                rig.Host.WriteConfig();
            },
            reason: ["failed: ", what, "a-directory"],
            good: rig => rig.ReExecAsync());
    }

    [Theory]
    [InlineData("PidFile", "baton.pid")]
    [InlineData("SocketPath", "baton.sock")]
    public Task NewConfigNamesAMissingDirectory_ChildReportsTheConfigErrorRolledBackAndOldKeepsServing(string key, string file)
    {
        string? saved = null;
        return RollbackAsync(
            configure: _ => { },
            breakIt: rig =>
            {
                saved = rig.Host.Lifecycle[key]!.GetValue<string>();
                rig.Host.Lifecycle[key] = Path.Combine(rig.Host.Work.FullName, "missing", file);
                rig.Host.WriteConfig();
            },
            fixIt: rig =>
            {
                rig.Host.Lifecycle[key] = saved!;
                rig.Host.WriteConfig();
            },
            reason: ["failed: config error", $"Baton:Lifecycle:{key}", "the directory does not exist"],
            good: rig => rig.ReExecAsync());
    }

    private async Task RollbackAsync(Action<UpgradeRig> configure, Action<UpgradeRig> breakIt, Action<UpgradeRig> fixIt,
        string[] reason, Func<UpgradeRig, Task<UpgradeStep>> good, TimeSpan? minimum = null, string? childSays = null)
    {
        await using var rig = await UpgradeRig.StartAsync(configure);
        int old = rig.ServingPid;
        var clients = LoadCheck.Mixed();
        await using var load = new LoadGenerator(rig.PublicUri, rig.H2cUri);
        load.Phase = "before";
        load.Start(clients);
        await LoadCheck.WaitForRequestsAsync(load, 200);

        breakIt(rig);
        load.Phase = "bad upgrade";
        var triggered = DateTimeOffset.UtcNow;
        var result = await rig.CliUpgradeAsync();
        var took = DateTimeOffset.UtcNow - triggered;

        // baton upgrade exits non-zero and prints why.
        Assert.True(result.ExitCode == Hosting.Lifecycle.ExitCodes.UpgradeFailed, result.ToString());
        var message = UpgradeRig.UpgradeMessage(result);
        Assert.StartsWith($"upgrade rolled back, still serving on pid {old}: ", message);
        Assert.All(reason, part => Assert.Contains(part, message));

        // The old process logged why, and the child is gone (exited, or killed).
        var rolledBack = await rig.Current.WaitForEventAsync(BatonEventIds.UpgradeRolledBack, UpgradeRig.EventTimeout, e => e.Received >= triggered);
        Assert.All(reason, part => Assert.Contains(part, rolledBack.Get("Reason")));
        var handedOff = rig.Current.Events.Single(e => e.EventId == BatonEventIds.ListenersHandedOff && e.Received >= triggered);
        int child = int.Parse(handedOff.Get("NewPid")!, System.Globalization.CultureInfo.InvariantCulture);
        await ProcessWatch.WaitForExitAsync(child, UpgradeRig.EventTimeout);
        Assert.DoesNotContain(rig.AllEvents, e => e.EventId == BatonEventIds.UpgradeReady);
        if (childSays is not null)
        {
            // The re-exec'd child shares the old process's stderr: its own one-line error is there too
            // (read asynchronously: a native child can exit before the line reaches this process).
            bool Said() => rig.Current.Output.Any(line => line.StartsWith(childSays, StringComparison.Ordinal));
            for (var deadline = DateTime.UtcNow + UpgradeRig.EventTimeout; !Said() && DateTime.UtcNow < deadline;)
            {
                await Task.Delay(20);
            }

            Assert.Contains(rig.Current.Output, line => line.StartsWith(childSays, StringComparison.Ordinal));
        }

        // The old one still serves, back in Running, and the load never noticed.
        var status = await rig.StatusAsync();
        Assert.Equal(old, status.GetProperty("pid").GetInt32());
        Assert.Equal("Running", status.GetProperty("phase").GetString());
        Assert.True(status.GetProperty("ready").GetBoolean());
        load.Phase = "after rollback";
        await LoadCheck.WaitForRequestsAsync(load, load.Started + 200);

        // A good upgrade still works.
        fixIt(rig);
        load.Phase = "good upgrade";
        var step = await good(rig);
        Assert.Equal(old, step.OldPid);
        await LoadCheck.WaitForRequestsAsync(load, load.Started + 200);
        await load.StopAsync();
        var samples = load.Samples;
        await rig.AssertDrainedAndExitedAsync(old);
        await rig.StopServingAsync();

        _output.WriteLine($"baton upgrade -> exit {result.ExitCode} after {took.TotalMilliseconds:0} ms: {message}");
        _output.WriteLine($"then pid {step.OldPid} -> {step.NewPid} in {step.Observed.TotalMilliseconds:0} ms; load: {LoadCheck.Summary(samples)}");
        LoadCheck.AssertNoneFailed(samples, clients.Keys);
        if (minimum is { } atLeast)
        {
            Assert.True(took >= atLeast, $"rolled back after {took}, before the upgrade timeout of {atLeast}");
        }
    }
}
