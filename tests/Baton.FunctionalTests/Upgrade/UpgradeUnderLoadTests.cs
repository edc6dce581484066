using Baton.Testing;
using Baton.Hosting.Diagnostics;
using Xunit.Abstractions;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// Ten consecutive upgrades under continuous load, by re-exec and by the upgrade socket: not one
/// request fails, every upgrade changes the serving process, and every old process drains and exits 0.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class UpgradeUnderLoadTests
{
    private const int Upgrades = 10;
    private readonly ITestOutputHelper _output;

    public UpgradeUnderLoadTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public Task ReExec_TenUpgradesUnderMixedLoad_NoRequestFailsAndEveryOldProcessDrainsAndExits()
        => TenUpgradesAsync(rig => rig.ReExecAsync(), "SIGQUIT");

    [Fact]
    public Task UpgradeSocket_TenUpgradesUnderMixedLoad_NoRequestFailsAndEveryOldProcessDrainsAndExits()
        => TenUpgradesAsync(rig => rig.ViaSocketAsync(), "baton run --upgrade");

    private async Task TenUpgradesAsync(Func<UpgradeRig, Task<UpgradeStep>> upgrade, string how)
    {
        await using var rig = await UpgradeRig.StartAsync();
        var first = rig.ServingPid;
        var clients = LoadCheck.Mixed();
        await using var load = new LoadGenerator(rig.PublicUri, rig.H2cUri);
        load.Phase = "steady";
        load.Start(clients);
        await LoadCheck.WaitForRequestsAsync(load, 200);

        var steps = new List<UpgradeStep>();
        for (int i = 1; i <= Upgrades; i++)
        {
            load.Phase = $"upgrade {i}";
            var step = await upgrade(rig);
            steps.Add(step);
            Assert.NotEqual(step.OldPid, step.NewPid);
            Assert.Equal(i + 1, step.Generation);
            // The serving pid changed: the new process answers the admin listener it took over.
            var status = await rig.WaitForStatusFromAsync(step.NewPid);
            Assert.Equal(i + 1, status.GetProperty("generation").GetInt32());
            // Some load between upgrades, so each upgrade starts with requests in flight.
            await LoadCheck.WaitForRequestsAsync(load, load.Started + 100);
        }

        load.Phase = "after";
        await LoadCheck.WaitForRequestsAsync(load, load.Started + 100);
        await load.StopAsync();
        var samples = load.Samples;

        // Every pid is new, the chain is unbroken, and every old process drained and exited with 0.
        Assert.Equal(Upgrades + 1, steps.Select(s => s.NewPid).Append(first).Distinct().Count());
        Assert.Equal(steps.Select(s => s.OldPid), steps.Select(s => s.NewPid).Prepend(first).Take(Upgrades));
        var drains = new List<LogEvent>();
        foreach (var step in steps)
        {
            drains.Add(await rig.AssertDrainedAndExitedAsync(step.OldPid));
        }

        await rig.StopServingAsync();

        _output.WriteLine($"{how}: {Upgrades} upgrades under load, {samples.Count} requests ({LoadCheck.Summary(samples)})");
        foreach (var (step, drain) in steps.Zip(drains))
        {
            _output.WriteLine($"  pid {step.OldPid} -> {step.NewPid} (generation {step.Generation}): trigger -> UpgradeReady {step.Observed.TotalMilliseconds:0} ms, "
                + $"old process's own measure {step.Elapsed.TotalMilliseconds:0} ms; old drained {drain.Get("DurationMs")}, exit after last request {drain.Get("AfterLastMs")}");
        }

        var observed = steps.Select(s => s.Observed.TotalMilliseconds).Order().ToArray();
        _output.WriteLine($"  trigger -> UpgradeReady: median {observed[observed.Length / 2]:0} ms, max {observed[^1]:0} ms");
        LoadCheck.AssertNoneFailed(samples, clients.Keys);
        Assert.DoesNotContain(rig.AllEvents, e => e.EventId is BatonEventIds.UpgradeRolledBack or BatonEventIds.NotAllRequestsDrained);
    }
}
