using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Supervision;
using Microsoft.Extensions.DependencyInjection;

namespace Baton.Hosting.Tests.Lifecycle;

/// <summary>
/// Every (phase, trigger) cell of <see cref="LifecycleTable"/>, driven through the real controller
/// (<see cref="ShutdownCoordinator"/>) on fake time: the rig is brought into the phase by the same
/// named operations the host, the drain and the upgrade use, then the trigger is applied, and the
/// phase and the action's visible effect are checked. docs/lifecycle.md names this test for each cell.
/// </summary>
public sealed class LifecycleTableTests
{
    private static readonly TimeSpan LongGrace = TimeSpan.FromHours(1);

    public static TheoryData<LifecyclePhase, LifecycleTrigger> EveryCell() => EveryCellOf<LifecyclePhase, LifecycleTrigger>();

    /// <summary>Every (phase, trigger) pair of a transition table, the ones that cannot happen included.</summary>
    internal static TheoryData<TPhase, TTrigger> EveryCellOf<TPhase, TTrigger>()
        where TPhase : struct, Enum
        where TTrigger : struct, Enum
    {
        var data = new TheoryData<TPhase, TTrigger>();
        foreach (var phase in Enum.GetValues<TPhase>())
        {
            foreach (var trigger in Enum.GetValues<TTrigger>())
            {
                data.Add(phase, trigger);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCell))]
    public async Task Cell(LifecyclePhase phase, LifecycleTrigger trigger)
    {
        var reloads = new CountingReload();
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = LongGrace }, s => s.AddSingleton<IReloadHandler>(reloads));
        int fastStops = 0;
        rig.Shutdown.FastStopRequested += () => fastStops++;
        await DriveToAsync(rig, phase);
        Assert.Equal(phase, rig.State.Phase);
        int stopsBefore = rig.Lifetime.StopCalls;
        int illegalBefore = rig.State.IllegalTriggers;
        var expected = LifecycleTable.Find(phase, trigger);

        var cell = await rig.Shutdown.ApplyAsync(trigger, "test");

        Assert.Equal(expected, cell);
        if (expected is null)
        {
            Assert.Equal(phase, rig.State.Phase);
            Assert.Equal(illegalBefore + 1, rig.State.IllegalTriggers);
            Assert.Contains(rig.Log.Events, e => e.Id == BatonEventIds.IllegalTrigger && Equals(e["Trigger"], trigger));
            return;
        }

        Assert.Equal(illegalBefore, rig.State.IllegalTriggers);
        Assert.Equal(expected.Next, rig.State.Phase);
        switch (expected.Action)
        {
            case LifecycleAction.StartGracePeriod:
                Assert.Contains(rig.Log.Events, e => e.Id == BatonEventIds.ReadinessWithdrawn);
                Assert.False(rig.State.IsReadyNow());
                Assert.Equal(stopsBefore, rig.Lifetime.StopCalls); // serving on for the grace period
                break;
            case LifecycleAction.FastStop:
                Assert.Equal(1, fastStops);
                Assert.True(rig.Lifetime.StopCalls > stopsBefore);
                break;
            case LifecycleAction.StopApplication:
                Assert.True(rig.Lifetime.StopCalls > stopsBefore);
                break;
            case LifecycleAction.DeferStop:
                Assert.Equal("test", rig.State.DeferredStop);
                Assert.False(rig.State.IsReadyNow());
                Assert.Equal(stopsBefore, rig.Lifetime.StopCalls);
                break;
            case LifecycleAction.Reload:
                Assert.Equal(1, reloads.Count);
                break;
            case LifecycleAction.Refuse:
            case LifecycleAction.Ignore:
                Assert.Equal(stopsBefore, rig.Lifetime.StopCalls);
                Assert.Equal(0, reloads.Count);
                Assert.Contains(rig.Log.Events, e => e.Id == BatonEventIds.TriggerNotApplied && Equals(e["Trigger"], trigger));
                break;
        }
    }

    [Fact]
    public async Task StopWhileStarting_RunsOnceListening()
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = LongGrace });
        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);
        Assert.Equal(LifecyclePhase.Starting, rig.State.Phase);

        await rig.Shutdown.ListeningAsync();

        Assert.Equal(LifecyclePhase.GracePeriod, rig.State.Phase); // Running, then the deferred stop
        Assert.Null(rig.State.DeferredStop);
        Assert.False(rig.State.IsReadyNow());
    }

    [Fact]
    public async Task StopWhileStarting_ThenTheHostStops_TheDeferredStopIsSatisfiedNotLeftPending()
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = LongGrace });
        rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);
        Assert.Equal("SIGTERM", rig.State.DeferredStop);

        await rig.Shutdown.DrainStartedAsync(); // the host stopped before it listened

        Assert.Equal(LifecyclePhase.Draining, rig.State.Phase);
        Assert.Null(rig.State.DeferredStop);
        Assert.Equal("SIGTERM", rig.Log.Events.Single(e => e.Id == BatonEventIds.DeferredStopSatisfied)["Source"]);
    }

    [Fact]
    public async Task StopDuringAnUpgrade_SatisfiedByTheNewProcess_HasItsOwnEvent()
    {
        var rig = new LifecycleRig(new LifecycleOptions { ShutdownGracePeriod = LongGrace });
        await DriveToAsync(rig, LifecyclePhase.HandingOff);
        await rig.Shutdown.ApplyAsync(LifecycleTrigger.Stop, "SIGTERM");

        await rig.Shutdown.SuccessorReadyAsync("test pid ready");

        Assert.Equal(LifecyclePhase.UpgradeDraining, rig.State.Phase);
        Assert.Null(rig.State.DeferredStop);
        Assert.Equal(LifecyclePhase.UpgradeDraining, rig.Log.Events.Single(e => e.Id == BatonEventIds.DeferredStopSatisfied)["Phase"]);
        Assert.DoesNotContain(rig.Log.Events, e => e.Id == BatonEventIds.SignalIgnored);
    }

    [Fact]
    public void Table_EveryPhaseHasAnOutcomeForEveryOperatorTrigger()
    {
        // What an operator or a signal can send arrives in any phase: none of these is ever "cannot happen".
        LifecycleTrigger[] fromOutside = [LifecycleTrigger.Stop, LifecycleTrigger.StopAgain, LifecycleTrigger.Upgrade, LifecycleTrigger.Reload, LifecycleTrigger.MarkHealth];
        foreach (var phase in Enum.GetValues<LifecyclePhase>())
        {
            foreach (var trigger in fromOutside)
            {
                Assert.True(LifecycleTable.Find(phase, trigger) is not null, $"{phase} × {trigger} has no outcome");
            }
        }

        foreach (var phase in Enum.GetValues<SupervisorPhase>())
        {
            foreach (var trigger in new[] { SupervisorTrigger.Stop, SupervisorTrigger.Upgrade, SupervisorTrigger.Reload })
            {
                Assert.True(SupervisorTable.Find(phase, trigger) is not null, $"supervisor {phase} × {trigger} has no outcome");
            }
        }
    }

    /// <summary>
    /// docs/lifecycle.md shows both tables as the code has them. After changing a table (or the
    /// tests a cell names), regenerate them in place: <c>BATON_WRITE_DOCS=1 dotnet test
    /// tests/Baton.Hosting.Tests --filter Docs_ShowBothTablesAsTheCodeHasThem</c>.
    /// </summary>
    [Fact]
    public void Docs_ShowBothTablesAsTheCodeHasThem()
    {
        var path = Path.Combine(RepoRoot(), "docs", "lifecycle.md");
        var docs = File.ReadAllText(path);
        if (Environment.GetEnvironmentVariable("BATON_WRITE_DOCS") == "1")
        {
            docs = ReplaceTable(ReplaceTable(docs, "| phase |", LifecycleTable.ToMarkdown()), "| supervisor phase |", SupervisorTable.ToMarkdown());
            File.WriteAllText(path, docs);
        }

        Assert.Contains(LifecycleTable.ToMarkdown(), docs);
        Assert.Contains(SupervisorTable.ToMarkdown(), docs);
    }

    // The table that starts with the header line beginning with `header`, up to the next line that is not a row.
    private static string ReplaceTable(string docs, string header, string table)
    {
        int start = docs.IndexOf("\n" + header, StringComparison.Ordinal) + 1;
        Assert.True(start > 0, $"docs/lifecycle.md has no table headed {header}");
        int end = start;
        while (end < docs.Length && docs[end] == '|')
        {
            int next = docs.IndexOf('\n', end);
            end = next < 0 ? docs.Length : next + 1;
        }

        return docs[..start] + table + docs[end..];
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Baton.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Baton.slnx not found above the test binaries");
    }

    private static async Task DriveToAsync(LifecycleRig rig, LifecyclePhase phase)
    {
        var c = rig.Shutdown;
        switch (phase)
        {
            case LifecyclePhase.Starting:
                return;
            case LifecyclePhase.Running:
                await c.ListeningAsync();
                return;
            case LifecyclePhase.UpgradeStarting:
                await c.ListeningAsync();
                Assert.True((await c.TryBeginUpgradeAsync("test upgrade")).Began);
                return;
            case LifecyclePhase.HandingOff:
                await DriveToAsync(rig, LifecyclePhase.UpgradeStarting);
                await c.HandedOverAsync("test pid");
                return;
            case LifecyclePhase.UpgradeDraining:
                await DriveToAsync(rig, LifecyclePhase.HandingOff);
                await c.SuccessorReadyAsync("test pid ready");
                return;
            case LifecyclePhase.GracePeriod:
                await c.ListeningAsync();
                await c.ApplyAsync(LifecycleTrigger.Stop, "test stop");
                return;
            case LifecyclePhase.Draining:
                await c.ListeningAsync();
                await c.DrainStartedAsync();
                return;
            case LifecyclePhase.Aborting:
                await c.ListeningAsync();
                await c.ApplyAsync(LifecycleTrigger.StopAgain, "test fast stop");
                return;
            case LifecyclePhase.Stopped:
                await DriveToAsync(rig, LifecyclePhase.Draining);
                await c.DrainedAsync("test drained");
                return;
        }
    }

    private sealed class CountingReload : IReloadHandler
    {
        public int Count { get; private set; }

        public void Reload(string source) => Count++;
    }
}
