using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Supervision;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting.Diagnostics;

/// <summary>
/// Every lifecycle event, declared once: the phase machines (the process's and the supervisor's),
/// signals, the grace period, and each step of an upgrade — whoever logs it (the controller, the
/// upgrade coordinator, the supervisor, a supervised worker's link). Ids come from
/// <see cref="BatonEventIds"/>; tests and tools wait on them and on the property names here
/// (<c>Source</c>, <c>Signal</c>, <c>Reason</c>, <c>OldPid</c>, <c>NewPid</c>, <c>Phase</c>, <c>Trigger</c>).
/// The draining, listener, systemd and admin events stay with their one class.
/// </summary>
internal static partial class LifecycleLog
{
    // The phase machines.

    [LoggerMessage(BatonEventIds.PhaseChanged, LogLevel.Information, "Phase {Previous} -> {Phase}: {Reason}", EventName = nameof(BatonEventIds.PhaseChanged))]
    public static partial void PhaseChanged(ILogger logger, LifecyclePhase previous, LifecyclePhase phase, string reason);

    [LoggerMessage(BatonEventIds.SupervisorPhaseChanged, LogLevel.Information, "Supervisor phase {Previous} -> {Phase}: {Reason}", EventName = nameof(BatonEventIds.SupervisorPhaseChanged))]
    public static partial void SupervisorPhaseChanged(ILogger logger, SupervisorPhase previous, SupervisorPhase phase, string reason);

    /// <summary>A (phase, trigger) pair with no cell, in either table (<see cref="LifecycleTable"/>, <see cref="SupervisorTable"/>).</summary>
    [LoggerMessage(BatonEventIds.IllegalTrigger, LogLevel.Error, "IllegalTrigger: {Trigger} cannot happen in phase {Phase} ({Reason}); the phase stays. This is a bug in Baton", EventName = nameof(BatonEventIds.IllegalTrigger))]
    public static partial void IllegalTrigger(ILogger logger, Enum trigger, Enum phase, string reason);

    /// <summary>A cell that leaves the phase as it is and does nothing (ignored, refused, deferred).</summary>
    [LoggerMessage(BatonEventIds.TriggerNotApplied, LogLevel.Information, "{Trigger} in phase {Phase} ({Reason}): {Outcome}", EventName = nameof(BatonEventIds.TriggerNotApplied))]
    public static partial void TriggerNotApplied(ILogger logger, Enum trigger, Enum phase, string reason, string outcome);

    [LoggerMessage(BatonEventIds.MarkedUnhealthy, LogLevel.Warning, "Marked unhealthy: {Unhealthy}", EventName = nameof(BatonEventIds.MarkedUnhealthy))]
    public static partial void MarkedUnhealthy(ILogger logger, bool unhealthy);

    // Signals and the stop.

    [LoggerMessage(BatonEventIds.SignalReceived, LogLevel.Information, "{Signal} received: {Intent}", EventName = nameof(BatonEventIds.SignalReceived))]
    public static partial void SignalReceived(ILogger logger, string signal, LifecycleIntent intent);

    [LoggerMessage(BatonEventIds.SignalIgnored, LogLevel.Information, "{Signal} ignored: {Why}", EventName = nameof(BatonEventIds.SignalIgnored))]
    public static partial void SignalIgnored(ILogger logger, string signal, string why);

    /// <summary>A stop deferred during start-up or an upgrade needs no run of its own: the process is stopping anyway.</summary>
    [LoggerMessage(BatonEventIds.DeferredStopSatisfied, LogLevel.Information, "The deferred stop ({Source}) needs no run of its own: phase {Phase}, {Outcome}", EventName = nameof(BatonEventIds.DeferredStopSatisfied))]
    public static partial void DeferredStopSatisfied(ILogger logger, string source, LifecyclePhase phase, string outcome);

    [LoggerMessage(BatonEventIds.ReadinessWithdrawn, LogLevel.Information, "{Source}: readiness withdrawn; serving normally for the grace period of {GraceMs} ms", EventName = nameof(BatonEventIds.ReadinessWithdrawn))]
    public static partial void ReadinessWithdrawn(ILogger logger, string source, double graceMs);

    [LoggerMessage(BatonEventIds.GracePeriodEnded, LogLevel.Information, "Grace period of {GraceMs} ms ended: closing listeners and draining", EventName = nameof(BatonEventIds.GracePeriodEnded))]
    public static partial void GracePeriodEnded(ILogger logger, double graceMs);

    [LoggerMessage(BatonEventIds.FastStopRequested, LogLevel.Warning, "{Source} during shutdown: fast stop, what is left is aborted after {TimeoutMs} ms", EventName = nameof(BatonEventIds.FastStopRequested))]
    public static partial void FastStopRequested(ILogger logger, string source, double timeoutMs);

    // The upgrade, in the process (UpgradeCoordinator), the supervisor and a supervised worker (SupervisorLink).

    [LoggerMessage(BatonEventIds.UpgradeDisabled, LogLevel.Warning, "{Source}: upgrade is not enabled (set Baton:Lifecycle:EnableZeroDowntime to true); still serving", EventName = nameof(BatonEventIds.UpgradeDisabled))]
    public static partial void UpgradeDisabled(ILogger logger, string source);

    /// <summary>An upgrade begins; <paramref name="next"/> says what happens to pid <paramref name="pid"/> ("hands over its listeners", …).</summary>
    [LoggerMessage(BatonEventIds.UpgradeRequested, LogLevel.Information, "Upgrade requested by {Source}: pid {Pid} (generation {Generation}) {Next}", EventName = nameof(BatonEventIds.UpgradeRequested))]
    public static partial void UpgradeRequested(ILogger logger, string source, int pid, int generation, string next);

    [LoggerMessage(BatonEventIds.ListenersHandedOff, LogLevel.Information, "Handed {Count} listener(s) ({Keys}) to pid {NewPid}; still serving until it reports ready", EventName = nameof(BatonEventIds.ListenersHandedOff))]
    public static partial void ListenersHandedOff(ILogger logger, int count, string keys, int newPid);

    [LoggerMessage(BatonEventIds.UpgradeProgress, LogLevel.Warning, "Upgrade failing ({Outcome}): stopping pid {NewPid} (SIGTERM, then SIGKILL after 3 s) before rolling back", EventName = nameof(BatonEventIds.UpgradeProgress))]
    public static partial void StoppingFailedProcess(ILogger logger, int newPid, LaunchOutcome outcome);

    [LoggerMessage(BatonEventIds.UpgradeReady, LogLevel.Information, "Upgrade ready: pid {NewPid} (generation {Generation}) serves after {ElapsedMs} ms; pid {OldPid} stops accepting and drains", EventName = nameof(BatonEventIds.UpgradeReady))]
    public static partial void UpgradeReady(ILogger logger, int oldPid, int newPid, int generation, double elapsedMs);

    [LoggerMessage(BatonEventIds.UpgradeRolledBack, LogLevel.Error, "UpgradeRolledBack ({Source}): {Reason}; still serving", EventName = nameof(BatonEventIds.UpgradeRolledBack))]
    public static partial void UpgradeRolledBack(ILogger logger, string source, string reason, Exception? exception);

    [LoggerMessage(BatonEventIds.UpgradeRefused, LogLevel.Warning, "Upgrade refused ({Source}): {Reason}", EventName = nameof(BatonEventIds.UpgradeRefused))]
    public static partial void UpgradeRefused(ILogger logger, string source, string reason);

    // The PID file (written by the serving process, or by the supervisor for its workers).

    [LoggerMessage(BatonEventIds.PidFileWritten, LogLevel.Information, "PID file {Path} written: {Pid}", EventName = nameof(BatonEventIds.PidFileWritten))]
    public static partial void PidFileWritten(ILogger logger, string path, int pid);

    [LoggerMessage(BatonEventIds.PidFileRemoved, LogLevel.Information, "PID file {Path} removed: pid {Pid} exits", EventName = nameof(BatonEventIds.PidFileRemoved))]
    public static partial void PidFileRemoved(ILogger logger, string path, int pid);

    // The supervisor and its workers.

    [LoggerMessage(BatonEventIds.SupervisorStarted, LogLevel.Information, "Supervisor pid {Pid} holds the listeners; worker pid {WorkerPid} serves", EventName = nameof(BatonEventIds.SupervisorStarted))]
    public static partial void SupervisorStarted(ILogger logger, int pid, int workerPid);

    [LoggerMessage(BatonEventIds.WorkerDied, LogLevel.Error, "Worker pid {Pid} exited unexpectedly with {ExitCode}; starting a new one on the same listening sockets", EventName = nameof(BatonEventIds.WorkerDied))]
    public static partial void WorkerDied(ILogger logger, int pid, int exitCode);

    /// <summary>A worker could not start or report, or a worker lost its supervisor.</summary>
    [LoggerMessage(BatonEventIds.HandoffFailed, LogLevel.Error, "Handoff failed: {Reason}", EventName = nameof(BatonEventIds.HandoffFailed))]
    public static partial void HandoffFailed(ILogger logger, string reason);
}
