namespace Baton.Hosting.Lifecycle;

/// <summary>
/// Where a Baton process is in its life. One source for readiness, logs, metrics and tests;
/// read it through <see cref="ILifecycle"/>.
/// </summary>
public enum LifecyclePhase
{
    /// <summary>The process is loading its configuration and binding or adopting its listeners.</summary>
    Starting,

    /// <summary>Listeners accept and requests are served; readiness answers 200.</summary>
    Running,

    /// <summary>
    /// SIGTERM or SIGINT was received, or preStop was called: readiness answers 503 so that load
    /// balancers route away, while listeners still accept and requests are served normally
    /// (HTTP/1.1 responses carry <c>Connection: close</c>).
    /// </summary>
    GracePeriod,

    /// <summary>
    /// The grace period ended: listeners are closed, in-flight requests finish, idle connections
    /// close, HTTP/2 connections get GOAWAY. Ends the moment the last request ends, or at
    /// <c>DrainTimeout</c>.
    /// </summary>
    Draining,

    /// <summary>
    /// A second SIGTERM/SIGINT arrived during shutdown: the grace period is skipped and what is
    /// left is aborted after a short bounded wait.
    /// </summary>
    Aborting,

    /// <summary>Everything drained or was aborted; upstream pools are closed; the process exits.</summary>
    Stopped,

    /// <summary>SIGQUIT or <c>baton upgrade</c> was received: a new process is being started to take over.</summary>
    UpgradeStarting,

    /// <summary>The new process holds the listening sockets and is starting; this process still serves.</summary>
    HandingOff,

    /// <summary>The new process reported ready: this process stopped accepting and drains what it has.</summary>
    UpgradeDraining,
}

/// <summary>What a signal or a control command asks the lifecycle to do.</summary>
public enum LifecycleIntent
{
    /// <summary>SIGTERM, SIGINT: grace period, then drain, then exit.</summary>
    GracefulStop,

    /// <summary>A second SIGTERM/SIGINT during shutdown: skip what is left of the grace period and abort soon.</summary>
    FastStop,

    /// <summary>SIGQUIT or <c>baton upgrade</c>: hand the listeners to a new process, then drain.</summary>
    GracefulUpgrade,

    /// <summary>SIGHUP: reload the configuration file.</summary>
    Reload,
}

/// <summary>Extensions over <see cref="LifecyclePhase"/>.</summary>
public static class LifecyclePhaseExtensions
{
    /// <summary>True once the process has begun to stop serving for good (grace, drain, abort, stopped, upgrade drain).</summary>
    public static bool IsShuttingDown(this LifecyclePhase phase) => phase is LifecyclePhase.GracePeriod
        or LifecyclePhase.Draining or LifecyclePhase.Aborting or LifecyclePhase.Stopped or LifecyclePhase.UpgradeDraining;

    /// <summary>True while the process serves new work (including while a successor is starting).</summary>
    public static bool IsServing(this LifecyclePhase phase) => phase is LifecyclePhase.Running
        or LifecyclePhase.UpgradeStarting or LifecyclePhase.HandingOff;
}
