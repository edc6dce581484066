namespace Baton.Hosting.Lifecycle;

/// <summary>
/// Everything that can happen to a Baton process, in any phase. <see cref="LifecycleTable"/> gives
/// the outcome of each in each phase; <see cref="LifecycleState.Fire"/> applies it.
/// </summary>
public enum LifecycleTrigger
{
    /// <summary>The host started and its listeners accept.</summary>
    Listening,

    /// <summary>A first SIGTERM or SIGINT, or a preStop call: one orderly stop.</summary>
    Stop,

    /// <summary>A second stop signal: skip what is left and abort soon.</summary>
    StopAgain,

    /// <summary>SIGQUIT, SIGUSR2, <c>baton upgrade</c>, <c>POST /upgrade</c> or a new process on the upgrade socket.</summary>
    Upgrade,

    /// <summary>SIGHUP: reload the configuration.</summary>
    Reload,

    /// <summary><c>POST /healthcheck/fail</c> or <c>/healthcheck/pass</c>: readiness follows the operator.</summary>
    MarkHealth,

    /// <summary>The new process of an upgrade holds the listening sockets.</summary>
    HandedOver,

    /// <summary>The new process of an upgrade reported ready.</summary>
    SuccessorReady,

    /// <summary>The new process of an upgrade failed, crashed, hung, sent garbage or could not start.</summary>
    SuccessorFailed,

    /// <summary>The supervisor started this worker's successor: drain.</summary>
    DrainOrdered,

    /// <summary>The grace period of a stop ended.</summary>
    GraceElapsed,

    /// <summary>The host began stopping (listeners close, the drain begins).</summary>
    DrainStarted,

    /// <summary>Every request finished or was aborted; upstream pools are closed.</summary>
    Drained,
}
