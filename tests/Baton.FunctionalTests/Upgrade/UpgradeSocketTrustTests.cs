using System.Diagnostics;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Baton.Testing;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// Trust on the upgrade socket (issue 11, defects 5 and 11): a silent same-uid peer holds the
/// upgrade slot for seconds, not <c>UpgradeTimeout</c>; a refusal has its own exit code.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class UpgradeSocketTrustTests
{
    [Fact]
    public async Task SilentPeerThatTookTheListeners_IsStoppedWithinSecondsNotUpgradeTimeout_AndARealUpgradeThenWorks()
    {
        await using var rig = await UpgradeRig.StartAsync(r => r.Host.Lifecycle["UpgradeTimeout"] = "00:01:00");
        var started = Stopwatch.StartNew();
        using var silent = SilentPeer.Start(rig.SocketPath);
        Assert.StartsWith("took ", await silent.FirstLine.WaitAsync(UpgradeRig.EventTimeout));

        var rolledBack = await rig.Current.WaitForEventAsync(BatonEventIds.UpgradeRolledBack, UpgradeRig.EventTimeout);

        Assert.Contains($"pid {silent.Pid}) did not confirm", rolledBack.Get("Reason"));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the silent peer held the upgrade for {started.Elapsed}");
        await silent.WaitForExitAsync(UpgradeRig.EventTimeout); // stopped by the old process (SIGTERM)
        var step = await rig.ViaSocketAsync();
        Assert.Equal(2, step.Generation);
        await rig.AssertDrainedAndExitedAsync(step.OldPid);
        await rig.StopServingAsync();
    }

    [Fact]
    public async Task SecondInstance_WithTheSocketPathOfALiveBaton_RefusesToStartAndTheFirstKeepsThePath()
    {
        await using var rig = await UpgradeRig.StartAsync();
        await using var second = await BatonTestHost.CreateAsync();
        second.Lifecycle["EnableZeroDowntime"] = true;
        second.Lifecycle["SocketPath"] = rig.SocketPath;
        second.WriteConfig();

        await using var refused = BatonProcess.Start(["run", "--config", second.ConfigPath, "--log-format", "json"]);
        var code = await refused.WaitForExitAsync(BatonTestHost.Timeout);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(refused.Output, l => l.Contains(rig.SocketPath, StringComparison.Ordinal) && l.Contains($"pid {rig.ServingPid}", StringComparison.Ordinal));
        Assert.DoesNotContain(refused.Events, e => e.EventId == BatonEventIds.UpgradeSocketListening);
        // The path still leads to the first instance: an upgrade through it takes the first one's listeners.
        var step = await rig.ViaSocketAsync();
        Assert.Equal(2, step.Generation);
        await rig.AssertDrainedAndExitedAsync(step.OldPid);
        await rig.StopServingAsync();
    }

    [Fact]
    public async Task SocketPath_InAGroupOrWorldWritableDirectory_RefusesToStart()
    {
        await using var host = await BatonTestHost.CreateAsync();
        var open = Directory.CreateDirectory(Path.Combine(host.Work.FullName, "open"));
        File.SetUnixFileMode(open.FullName, (UnixFileMode)0x1FF); // 0777
        host.Lifecycle["EnableZeroDowntime"] = true;
        host.Lifecycle["SocketPath"] = Path.Combine(open.FullName, "upgrade.sock");
        host.WriteConfig();

        await using var refused = BatonProcess.Start(["run", "--config", host.ConfigPath, "--log-format", "json"]);
        var code = await refused.WaitForExitAsync(BatonTestHost.Timeout);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(refused.Output, l => l.Contains(open.FullName, StringComparison.Ordinal) && l.Contains("writable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UpgradeClient_ServerOfAnotherUid_IsRefusedAndItsFdsAreNotAdopted()
    {
        await using var host = await BatonTestHost.CreateAsync();
        File.SetUnixFileMode(host.Work.FullName, File.GetUnixFileMode(host.Work.FullName) | UnixFileMode.OtherExecute);
        var foreign = Directory.CreateDirectory(Path.Combine(host.Work.FullName, "foreign"));
        File.SetUnixFileMode(foreign.FullName, (UnixFileMode)0x1C0); // 0700
        Assert.Equal(0, await RunAsync("/bin/chown", $"{ForeignClient.Uid}:{ForeignClient.Uid}", foreign.FullName));
        var socketPath = Path.Combine(foreign.FullName, "upgrade.sock");
        using var server = ForeignServer.Start(socketPath);
        await server.WaitUntilListeningAsync(socketPath, UpgradeRig.EventTimeout);
        host.Lifecycle["EnableZeroDowntime"] = true;
        host.Lifecycle["SocketPath"] = socketPath;
        host.WriteConfig();

        await using var upgrader = BatonProcess.Start(["run", "--upgrade", "--config", host.ConfigPath, "--log-format", "json"]);
        var code = await upgrader.WaitForExitAsync(UpgradeRig.EventTimeout);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(upgrader.Output, l => l.Contains($"uid {ForeignClient.Uid}", StringComparison.Ordinal));
        Assert.DoesNotContain(upgrader.Events, e => e.EventId is BatonEventIds.ListenerAdopted or BatonEventIds.ProxyListening);
    }

    private static async Task<int> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        await p.WaitForExitAsync().WaitAsync(UpgradeRig.EventTimeout);
        return p.ExitCode;
    }

    [Fact]
    public async Task BatonUpgrade_WithUpgradesDisabled_ExitsWithTheRefusedCode()
    {
        await using var host = await BatonTestHost.StartAsync();

        var result = await BatonCli.RunAsync(["upgrade", "--admin", host.Address("@admin")]);

        Assert.True(result.ExitCode == ExitCodes.UpgradeRefused, result.ToString());
        Assert.Contains("upgrade refused", result.Stdout);
        Assert.NotEqual(ExitCodes.UpgradeFailed, ExitCodes.UpgradeRefused);
    }
}
