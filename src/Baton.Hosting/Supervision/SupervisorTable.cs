using System.Collections.Frozen;
using Baton.Hosting.Lifecycle;

namespace Baton.Hosting.Supervision;

/// <summary>
/// The supervisor's transition table, as data (see <see cref="Baton.Hosting.Lifecycle.LifecycleTable"/>
/// for the worker's). Signals are handled at once in every phase: a stop never waits behind a
/// worker start, a restart backoff or an upgrade.
/// </summary>
public static class SupervisorTable
{
    /// <summary>Every cell.</summary>
    public static IReadOnlyList<SupervisorCell> Cells { get; } = Build();

    private static readonly FrozenDictionary<(SupervisorPhase, SupervisorTrigger), SupervisorCell> s_index =
        Cells.ToFrozenDictionary(c => (c.From, c.Trigger));

    /// <summary>The cell, or null when the pair cannot happen.</summary>
    public static SupervisorCell? Find(SupervisorPhase phase, SupervisorTrigger trigger)
        => s_index.TryGetValue((phase, trigger), out var cell) ? cell : null;

    // Tests besides the unit test every cell has, SupervisorTableTests.Cell(phase, trigger): the
    // fake-worker crossings (tests/Baton.Hosting.Tests/Supervision/SupervisorCrossingTests) and the
    // real-process ones (tests/Baton.FunctionalTests/Supervision).
    private static readonly Dictionary<(SupervisorPhase, SupervisorTrigger), string> s_moreTests = new()
    {
        [(SupervisorPhase.Serving, SupervisorTrigger.Upgrade)] = "SupervisorCrossingTests.Upgrade_NewWorkerReady_ServesAndTheNextStopEndsBoth; SupervisorTests.Supervisor_UpgradesAndReplacesWorkers_WithoutClosingTheListeners",
        [(SupervisorPhase.Serving, SupervisorTrigger.WorkerDied)] = "SupervisorTests.Supervisor_UpgradesAndReplacesWorkers_WithoutClosingTheListeners",
        [(SupervisorPhase.Serving, SupervisorTrigger.WorkerStopping)] = "SupervisorCrossingTests.WorkerStopping_IsOneStopOfTheService; SupervisorCrossingTests.PrestopUnderTheSupervisor_IsOneStopOfTheService",
        [(SupervisorPhase.Upgrading, SupervisorTrigger.WorkerReady)] = "SupervisorCrossingTests.Upgrade_NewWorkerReady_ServesAndTheNextStopEndsBoth; SupervisorTests.Supervisor_UpgradesAndReplacesWorkers_WithoutClosingTheListeners",
        [(SupervisorPhase.Upgrading, SupervisorTrigger.Stop)] = "SupervisorCrossingTests.StopWhileUpgrading_DoesNotWaitForTheNewWorker; SupervisorCrossingTests.SigtermDuringASupervisorUpgrade_DoesNotWaitForTheUpgradeTimeout",
        [(SupervisorPhase.Stopping, SupervisorTrigger.WorkerFailed)] = "SupervisorCrossingTests.StopWhileARestartFails_EndsOnceTheFailedWorkerIsGone",
        [(SupervisorPhase.Restarting, SupervisorTrigger.Stop)] = "SupervisorCrossingTests.StopWhileRestarting_EndsAtOnceAndStartsNothingMore; SupervisorCrossingTests.SigtermWhileTheWorkerCrashLoops_StopsAtOnce",
    };

    /// <summary>The table as docs/lifecycle.md shows it: one row per (phase, trigger), with its tests.</summary>
    public static string ToMarkdown() => TransitionTableMarkdown.Render<SupervisorPhase, SupervisorTrigger>("supervisor phase",
        (phase, trigger) => Find(phase, trigger) is { } cell ? (cell.Next, cell.Action.ToString(), cell.Outcome) : null,
        (phase, trigger) => $"SupervisorTableTests.Cell({phase}, {trigger})" + (s_moreTests.TryGetValue((phase, trigger), out var more) ? "; " + more : ""));

    private static List<SupervisorCell> Build()
    {
        var cells = new List<SupervisorCell>();
        void Add(SupervisorPhase from, SupervisorTrigger t, SupervisorPhase next, SupervisorAction a, string outcome) => cells.Add(new(from, t, next, a, outcome));
        void Stay(SupervisorPhase from, SupervisorTrigger t, SupervisorAction a, string outcome) => Add(from, t, from, a, outcome);
        const string StopAll = "SIGTERM once to every worker, the one starting included (it stops waiting for that one); exits once all are gone";

        Add(SupervisorPhase.Starting, SupervisorTrigger.WorkerReady, SupervisorPhase.Serving, SupervisorAction.None, "serving: PID file written, READY=1");
        Add(SupervisorPhase.Starting, SupervisorTrigger.WorkerFailed, SupervisorPhase.Stopped, SupervisorAction.Exit, "the first worker failed: exit 1 with its reason");
        Stay(SupervisorPhase.Starting, SupervisorTrigger.Upgrade, SupervisorAction.Refuse, "still starting");
        Add(SupervisorPhase.Starting, SupervisorTrigger.Stop, SupervisorPhase.Stopping, SupervisorAction.StopWorkers, StopAll);
        Stay(SupervisorPhase.Starting, SupervisorTrigger.Reload, SupervisorAction.Ignore, "ignored: no worker serves yet");

        Add(SupervisorPhase.Serving, SupervisorTrigger.Upgrade, SupervisorPhase.Upgrading, SupervisorAction.StartWorker, "the next worker starts on the same sockets; the current one serves until it is ready");
        Add(SupervisorPhase.Serving, SupervisorTrigger.WorkerDied, SupervisorPhase.Restarting, SupervisorAction.StartWorker, "a replacement starts at once; connections wait in the backlog meanwhile");
        Add(SupervisorPhase.Serving, SupervisorTrigger.Stop, SupervisorPhase.Stopping, SupervisorAction.StopWorkers, StopAll);
        Add(SupervisorPhase.Serving, SupervisorTrigger.WorkerStopping, SupervisorPhase.Stopping, SupervisorAction.None, "the worker stops the service (preStop): no new worker; the supervisor exits with the worker's exit code; a later SIGTERM is forwarded");
        Stay(SupervisorPhase.Serving, SupervisorTrigger.Reload, SupervisorAction.Forward, "forwarded to the serving worker");

        Add(SupervisorPhase.Upgrading, SupervisorTrigger.WorkerReady, SupervisorPhase.Serving, SupervisorAction.DrainPrevious, "the new worker serves; the previous one is told to drain");
        Add(SupervisorPhase.Upgrading, SupervisorTrigger.WorkerFailed, SupervisorPhase.Serving, SupervisorAction.None, "rolled back: the current worker serves on (a dead current worker is replaced)");
        Stay(SupervisorPhase.Upgrading, SupervisorTrigger.Upgrade, SupervisorAction.Refuse, "an upgrade is already in progress; one upgrade at a time");
        Stay(SupervisorPhase.Upgrading, SupervisorTrigger.WorkerDied, SupervisorAction.None, "the serving worker died: the new one serves once ready (if it fails, a replacement starts)");
        Add(SupervisorPhase.Upgrading, SupervisorTrigger.Stop, SupervisorPhase.Stopping, SupervisorAction.StopWorkers, StopAll);
        Add(SupervisorPhase.Upgrading, SupervisorTrigger.WorkerStopping, SupervisorPhase.Stopping, SupervisorAction.StopWorkers, "the serving worker stops the service: the upgrade is cancelled (the new worker is told to stop; the serving one gets no SIGTERM on top, which would make it stop fast)");
        Stay(SupervisorPhase.Upgrading, SupervisorTrigger.Reload, SupervisorAction.Forward, "forwarded to the serving worker");

        Add(SupervisorPhase.Restarting, SupervisorTrigger.WorkerReady, SupervisorPhase.Serving, SupervisorAction.None, "the replacement serves");
        Stay(SupervisorPhase.Restarting, SupervisorTrigger.WorkerFailed, SupervisorAction.RetryStart, "another replacement after a backoff (1 s, 2 s, … 30 s), which a stop cancels");
        Stay(SupervisorPhase.Restarting, SupervisorTrigger.Upgrade, SupervisorAction.Refuse, "a worker is being restarted");
        Add(SupervisorPhase.Restarting, SupervisorTrigger.Stop, SupervisorPhase.Stopping, SupervisorAction.StopWorkers, StopAll + "; the backoff is cancelled");
        Stay(SupervisorPhase.Restarting, SupervisorTrigger.Reload, SupervisorAction.Ignore, "ignored: no worker serves; the replacement reads the file");

        Stay(SupervisorPhase.Stopping, SupervisorTrigger.WorkerReady, SupervisorAction.StopWorkers, "a worker that became ready after the stop is told to stop (once; the others are not signalled again)");
        Stay(SupervisorPhase.Stopping, SupervisorTrigger.WorkerFailed, SupervisorAction.Ignore, "ignored: stopping (exits if it was the last worker)");
        Stay(SupervisorPhase.Stopping, SupervisorTrigger.Upgrade, SupervisorAction.Refuse, "the supervisor is stopping");
        Stay(SupervisorPhase.Stopping, SupervisorTrigger.WorkerDied, SupervisorAction.None, "its exit code becomes the supervisor's");
        Stay(SupervisorPhase.Stopping, SupervisorTrigger.Stop, SupervisorAction.Forward, "forwarded: a second signal makes the workers stop fast");
        Stay(SupervisorPhase.Stopping, SupervisorTrigger.WorkerStopping, SupervisorAction.Ignore, "ignored: already stopping");
        Stay(SupervisorPhase.Stopping, SupervisorTrigger.Reload, SupervisorAction.Ignore, "ignored: stopping");
        Add(SupervisorPhase.Stopping, SupervisorTrigger.LastWorkerGone, SupervisorPhase.Stopped, SupervisorAction.Exit, "exits with the serving worker's exit code");

        foreach (var t in Enum.GetValues<SupervisorTrigger>())
        {
            Stay(SupervisorPhase.Stopped, t, SupervisorAction.Ignore, "ignored: stopped");
        }

        cells.Sort((a, b) => a.From != b.From ? a.From.CompareTo(b.From) : a.Trigger.CompareTo(b.Trigger));
        return cells;
    }
}
