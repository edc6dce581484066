using System.Globalization;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Baton.Testing;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// <c>Lifecycle:PidFile</c> (issue 11, defect 13): written through a new, uniquely named temp file
/// (never through a planted symlink), removed at exit when it still names this process, rewritten
/// by an upgrade's new process while the old one drains, and a second instance refuses a PID file
/// that names a live Baton.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class PidFileTests
{
    [Fact]
    public async Task PlantedTempSymlink_IsNotWrittenThrough()
    {
        await using var host = await BatonTestHost.CreateAsync();
        var pidFile = Path.Combine(host.Work.FullName, "baton.pid");
        var victim = Path.Combine(host.Work.FullName, "victim");
        File.WriteAllText(victim, "precious\n");
        File.CreateSymbolicLink(pidFile + ".tmp", victim);
        host.Lifecycle["PidFile"] = pidFile;

        await host.StartBatonAsync();

        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.Equal($"{host.Baton.Pid}\n", File.ReadAllText(pidFile));
        Assert.Null(new FileInfo(pidFile).LinkTarget);
    }

    [Fact]
    public async Task PidFile_FollowsTheUpgradeAndIsRemovedWhenTheLastGenerationExits()
    {
        await using var rig = await UpgradeRig.StartAsync();
        Assert.Equal(Text(rig.ServingPid), File.ReadAllText(rig.PidFile));

        var step = await rig.ViaSocketAsync();
        await rig.AssertDrainedAndExitedAsync(step.OldPid);
        Assert.Equal(Text(step.NewPid), File.ReadAllText(rig.PidFile)); // the old one left the new one's file alone

        await rig.StopServingAsync();
        Assert.False(File.Exists(rig.PidFile), "the PID file must be removed when the process it names exits");
    }

    [Fact]
    public async Task SecondInstance_WithThePidFileOfALiveBaton_RefusesToStart()
    {
        await using var first = await BatonTestHost.CreateAsync();
        var pidFile = Path.Combine(first.Work.FullName, "shared.pid");
        first.Lifecycle["PidFile"] = pidFile;
        await first.StartBatonAsync();
        await using var second = await BatonTestHost.CreateAsync();
        second.Lifecycle["PidFile"] = pidFile;
        second.WriteConfig();

        await using var refused = BatonProcess.Start(["run", "--config", second.ConfigPath, "--log-format", "json"]);
        var code = await refused.WaitForExitAsync(BatonTestHost.Timeout);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(refused.Output, l => l.Contains(pidFile, StringComparison.Ordinal) && l.Contains($"pid {first.Baton.Pid}", StringComparison.Ordinal));
        Assert.DoesNotContain(refused.Events, e => e.EventId == BatonEventIds.ProxyListening);
        Assert.Equal(Text(first.Baton.Pid), File.ReadAllText(pidFile));
    }

    [Fact]
    public async Task StalePidFile_OfAProcessThatIsGone_IsTakenOver()
    {
        await using var host = await BatonTestHost.CreateAsync();
        var pidFile = Path.Combine(host.Work.FullName, "baton.pid");
        File.WriteAllText(pidFile, "999999999\n");
        host.Lifecycle["PidFile"] = pidFile;

        await host.StartBatonAsync();

        Assert.Equal(Text(host.Baton.Pid), File.ReadAllText(pidFile));
    }

    private static string Text(int pid) => pid.ToString(CultureInfo.InvariantCulture) + "\n";
}
