using System.Collections.Frozen;

namespace Baton.Hosting.Lifecycle;

/// <summary>
/// The lifecycle as data: every (phase, trigger) pair that can happen, with its next phase, its
/// action and its outcome. A pair that is not here cannot happen; if it does, it is a bug, logged
/// as <c>IllegalTrigger</c> and counted, and the phase does not change. docs/lifecycle.md prints
/// this table (<see cref="ToMarkdown"/>; a test keeps the two equal).
/// </summary>
public static class LifecycleTable
{
    private const string StopDeferred = "deferred: the upgrade runs to its result first; ready → this process drains as the old one and exits, the new one serves; failed → rolled back, then this stop runs";
    private const string AlreadyStopping = "ignored: already stopping (one orderly stop; prestop then SIGTERM is one stop)";
    private const string RefusedStopping = "this process is stopping";
    private const string NoReloadStopping = "ignored: stopping; the configuration no longer matters";
    private const string Health = "readiness follows the mark (serving is unchanged)";
    private const string Fast = "fast stop: the grace period is skipped, what is left is aborted after FastStopTimeout";

    private static readonly LifecyclePhase[] s_serving = [LifecyclePhase.UpgradeStarting, LifecyclePhase.HandingOff];
    private static readonly LifecyclePhase[] s_stopping = [LifecyclePhase.GracePeriod, LifecyclePhase.Draining, LifecyclePhase.UpgradeDraining, LifecyclePhase.Aborting, LifecyclePhase.Stopped];

    /// <summary>Every cell, in phase order then trigger order.</summary>
    public static IReadOnlyList<LifecycleCell> Cells { get; } = Build();

    private static readonly FrozenDictionary<(LifecyclePhase, LifecycleTrigger), LifecycleCell> s_index =
        Cells.ToFrozenDictionary(c => (c.From, c.Trigger));

    /// <summary>The cell for <paramref name="trigger"/> in <paramref name="phase"/>, or null when that cannot happen.</summary>
    public static LifecycleCell? Find(LifecyclePhase phase, LifecycleTrigger trigger)
        => s_index.TryGetValue((phase, trigger), out var cell) ? cell : null;

    // The real-process tests (tests/Baton.FunctionalTests) of the dangerous cells; every cell also
    // has its unit test, LifecycleTableTests.Cell(phase, trigger).
    private static readonly Dictionary<(LifecyclePhase, LifecycleTrigger), string> s_processTests = new()
    {
        [(LifecyclePhase.HandingOff, LifecycleTrigger.Stop)] = "LifecycleCrossingTests.SigtermDuringHandoff_NewProcessServesAndNoConnectionIsLost; UpgradeCrossingTests.StopDuringHandoff_*",
        [(LifecyclePhase.HandingOff, LifecycleTrigger.SuccessorFailed)] = "LifecycleCrossingTests.SigtermWhileRollbackRuns_RolledBackThenOneCleanStop",
        [(LifecyclePhase.HandingOff, LifecycleTrigger.StopAgain)] = "UpgradeCrossingTests.SecondSignalDuringHandoff_FastStopsButStillAcknowledgesTheNewProcess",
        [(LifecyclePhase.HandingOff, LifecycleTrigger.Upgrade)] = "UpgradeCrossingTests.UpgradeDuringUpgrade_RefusedByTheTable",
        [(LifecyclePhase.Running, LifecycleTrigger.Upgrade)] = "LifecycleCrossingTests.Sigusr2_UpgradesLikeSigquit; UpgradeUnderLoadTests",
        [(LifecyclePhase.Starting, LifecycleTrigger.Stop)] = "LifecycleTableTests.StopWhileStarting_RunsOnceListening",
        [(LifecyclePhase.Running, LifecycleTrigger.Stop)] = "GracefulStopTests; PreStopTests",
        [(LifecyclePhase.GracePeriod, LifecycleTrigger.StopAgain)] = "StopSignalTests",
    };

    /// <summary>The table as docs/lifecycle.md shows it: one row per (phase, trigger), with its tests.</summary>
    public static string ToMarkdown() => TransitionTableMarkdown.Render<LifecyclePhase, LifecycleTrigger>("phase",
        (phase, trigger) => Find(phase, trigger) is { } cell ? (cell.Next, cell.Action.ToString(), cell.Outcome) : null,
        (phase, trigger) => $"Cell({phase}, {trigger})" + (s_processTests.TryGetValue((phase, trigger), out var more) ? "; " + more : ""));

    private static List<LifecycleCell> Build()
    {
        var cells = new List<LifecycleCell>();
        void Add(LifecyclePhase from, LifecycleTrigger trigger, LifecyclePhase next, LifecycleAction action, string outcome)
            => cells.Add(new LifecycleCell(from, trigger, next, action, outcome));
        void Stay(LifecyclePhase from, LifecycleTrigger trigger, LifecycleAction action, string outcome)
            => Add(from, trigger, from, action, outcome);

        // Starting: loading the configuration, claiming listeners, starting Kestrel.
        Add(LifecyclePhase.Starting, LifecycleTrigger.Listening, LifecyclePhase.Running, LifecycleAction.None, "serving; readiness 200 (a stop deferred meanwhile runs now, and a new process of an upgrade then reports failed instead of ready)");
        Stay(LifecyclePhase.Starting, LifecycleTrigger.Stop, LifecycleAction.DeferStop, "deferred until listening, then a normal stop; a new process of an upgrade reports failed, so the old one keeps serving");
        Stay(LifecyclePhase.Starting, LifecycleTrigger.StopAgain, LifecycleAction.DeferStop, "as Stop: deferred until listening");
        Stay(LifecyclePhase.Starting, LifecycleTrigger.Upgrade, LifecycleAction.Refuse, "still starting");
        Stay(LifecyclePhase.Starting, LifecycleTrigger.Reload, LifecycleAction.Ignore, "ignored: the configuration is being read now");
        Stay(LifecyclePhase.Starting, LifecycleTrigger.MarkHealth, LifecycleAction.MarkHealth, Health);
        Add(LifecyclePhase.Starting, LifecycleTrigger.DrainStarted, LifecyclePhase.Draining, LifecycleAction.None, "the host stopped before it listened: nothing to drain");
        Add(LifecyclePhase.Starting, LifecycleTrigger.Drained, LifecyclePhase.Stopped, LifecycleAction.None, "stopped");

        // Running.
        Stay(LifecyclePhase.Running, LifecycleTrigger.Listening, LifecycleAction.Ignore, "ignored: already listening");
        Add(LifecyclePhase.Running, LifecycleTrigger.Stop, LifecyclePhase.GracePeriod, LifecycleAction.StartGracePeriod, "readiness 503 while serving for ShutdownGracePeriod, then the drain");
        Add(LifecyclePhase.Running, LifecycleTrigger.StopAgain, LifecyclePhase.Aborting, LifecycleAction.FastStop, Fast);
        Add(LifecyclePhase.Running, LifecycleTrigger.Upgrade, LifecyclePhase.UpgradeStarting, LifecycleAction.StartUpgrade, "the new process starts (re-exec) or is sent the listeners (upgrade socket); this one serves on");
        Stay(LifecyclePhase.Running, LifecycleTrigger.Reload, LifecycleAction.Reload, "the configuration is reloaded (a broken one is rejected, the old one stays)");
        Stay(LifecyclePhase.Running, LifecycleTrigger.MarkHealth, LifecycleAction.MarkHealth, Health);
        Add(LifecyclePhase.Running, LifecycleTrigger.DrainOrdered, LifecyclePhase.UpgradeDraining, LifecycleAction.StopApplication, "a supervised worker's successor serves: stop accepting, drain, exit");
        Add(LifecyclePhase.Running, LifecycleTrigger.DrainStarted, LifecyclePhase.Draining, LifecycleAction.None, "the host stopped on its own: drain");
        Add(LifecyclePhase.Running, LifecycleTrigger.Drained, LifecyclePhase.Stopped, LifecycleAction.None, "stopped");

        // UpgradeStarting and HandingOff: this process serves while the new one starts.
        foreach (var phase in s_serving)
        {
            Stay(phase, LifecycleTrigger.Listening, LifecycleAction.Ignore, "ignored: already listening");
            Stay(phase, LifecycleTrigger.Stop, LifecycleAction.DeferStop, StopDeferred);
            Add(phase, LifecycleTrigger.StopAgain, LifecyclePhase.Aborting, LifecycleAction.FastStop, Fast + "; sockets the new process holds are never filtered or shut down, and its ready is still acknowledged");
            Stay(phase, LifecycleTrigger.Upgrade, LifecycleAction.Refuse, "an upgrade is already in progress; one upgrade at a time");
            Stay(phase, LifecycleTrigger.Reload, LifecycleAction.Reload, "the configuration is reloaded here (the new process reads the file itself)");
            Stay(phase, LifecycleTrigger.MarkHealth, LifecycleAction.MarkHealth, Health);
            Add(phase, LifecycleTrigger.SuccessorFailed, LifecyclePhase.Running, LifecycleAction.RollBack, "rolled back: serving on, the reason logged (UpgradeRolledBack); a stop deferred meanwhile runs now");
            Add(phase, LifecycleTrigger.DrainStarted, LifecyclePhase.Draining, LifecycleAction.None, "the host stopped on its own: drain (shared sockets stay open for the new process)");
            Add(phase, LifecycleTrigger.Drained, LifecyclePhase.Stopped, LifecycleAction.None, "stopped");
        }

        Add(LifecyclePhase.UpgradeStarting, LifecycleTrigger.HandedOver, LifecyclePhase.HandingOff, LifecycleAction.None, "the new process holds the listeners; this one serves until it reports ready");
        Add(LifecyclePhase.HandingOff, LifecycleTrigger.SuccessorReady, LifecyclePhase.UpgradeDraining, LifecycleAction.StopApplication, "the new process serves: this one stops accepting, drains and exits 0 (a deferred stop is satisfied by this)");

        // Stopping phases.
        foreach (var phase in s_stopping)
        {
            bool grace = phase == LifecyclePhase.GracePeriod;
            bool stopped = phase == LifecyclePhase.Stopped;
            bool aborting = phase is LifecyclePhase.Aborting or LifecyclePhase.Stopped;
            Stay(phase, LifecycleTrigger.Stop, LifecycleAction.Ignore, AlreadyStopping);
            if (aborting)
            {
                Stay(phase, LifecycleTrigger.StopAgain, LifecycleAction.Ignore, stopped ? "ignored: already stopped" : "ignored: already aborting");
            }
            else
            {
                Add(phase, LifecycleTrigger.StopAgain, LifecyclePhase.Aborting, LifecycleAction.FastStop, Fast);
            }

            Stay(phase, LifecycleTrigger.Upgrade, LifecycleAction.Refuse, RefusedStopping);
            Stay(phase, LifecycleTrigger.Reload, LifecycleAction.Ignore, NoReloadStopping);
            Stay(phase, LifecycleTrigger.MarkHealth, LifecycleAction.MarkHealth, "recorded; readiness is 503 anyway");
            if (grace)
            {
                Add(phase, LifecycleTrigger.GraceElapsed, LifecyclePhase.Draining, LifecycleAction.StopApplication, "listeners this process owns alone stop taking connections and close; in-flight requests drain");
                Add(phase, LifecycleTrigger.DrainStarted, LifecyclePhase.Draining, LifecycleAction.None, "the drain begins");
                // A supervised worker whose successor the supervisor started during its grace period.
                Add(phase, LifecycleTrigger.DrainOrdered, LifecyclePhase.Draining, LifecycleAction.StopApplication, "the successor serves: the grace period ends now and the drain begins");
            }
            else
            {
                Stay(phase, LifecycleTrigger.GraceElapsed, LifecycleAction.Ignore, "ignored: the drain already began");
                Stay(phase, LifecycleTrigger.DrainOrdered, LifecycleAction.Ignore, "ignored: already stopping");
                Stay(phase, LifecycleTrigger.DrainStarted, stopped ? LifecycleAction.Ignore : LifecycleAction.None, stopped ? "ignored: already stopped" : "the drain runs");
            }

            if (stopped)
            {
                Stay(phase, LifecycleTrigger.Drained, LifecycleAction.Ignore, "ignored: already stopped");
            }
            else
            {
                Add(phase, LifecycleTrigger.Drained, LifecyclePhase.Stopped, LifecycleAction.None, "stopped: upstream pools closed, the process exits");
            }

            if (phase is LifecyclePhase.Draining or LifecyclePhase.Aborting or LifecyclePhase.Stopped)
            {
                // A fast stop (or a host that stopped on its own) during an upgrade: the upgrade still reports its result.
                Stay(phase, LifecycleTrigger.SuccessorReady, LifecycleAction.Ignore, "ignored here (the new process is acknowledged and serves); this one exits");
                Stay(phase, LifecycleTrigger.SuccessorFailed, LifecycleAction.Ignore, "ignored: exiting anyway; the failed process is stopped");
                Stay(phase, LifecycleTrigger.HandedOver, LifecycleAction.Ignore, "ignored: exiting; the sockets stay open for the new process");
            }
        }

        cells.Sort((a, b) => a.From != b.From ? a.From.CompareTo(b.From) : a.Trigger.CompareTo(b.Trigger));
        return cells;
    }
}
