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
