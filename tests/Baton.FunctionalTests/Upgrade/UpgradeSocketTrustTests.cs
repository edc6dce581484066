using System.Diagnostics;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;

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
    public async Task BatonUpgrade_WithUpgradesDisabled_ExitsWithTheRefusedCode()
    {
        await using var host = await BatonTestHost.StartAsync();

        var result = await BatonCli.RunAsync(["upgrade", "--admin", host.Address("@admin")]);

        Assert.True(result.ExitCode == ExitCodes.UpgradeRefused, result.ToString());
        Assert.Contains("upgrade refused", result.Stdout);
        Assert.NotEqual(ExitCodes.UpgradeFailed, ExitCodes.UpgradeRefused);
    }
}
