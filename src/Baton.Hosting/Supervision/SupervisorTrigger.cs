namespace Baton.Hosting.Supervision;

/// <summary>What can happen to the supervisor.</summary>
public enum SupervisorTrigger
{
    /// <summary>A worker it started reported ready.</summary>
    WorkerReady,

    /// <summary>A worker it started failed, crashed, hung or could not start.</summary>
    WorkerFailed,

    /// <summary>SIGQUIT/SIGUSR2 to the supervisor, or a worker forwarding an upgrade request.</summary>
    Upgrade,

    /// <summary>The serving worker exited on its own.</summary>
    WorkerDied,

    /// <summary>SIGTERM or SIGINT to the supervisor.</summary>
    Stop,

    /// <summary>The serving worker began a stop of the service (preStop, or SIGTERM sent to it).</summary>
    WorkerStopping,

    /// <summary>SIGHUP: reload.</summary>
    Reload,

    /// <summary>The last worker exited while stopping.</summary>
    LastWorkerGone,
}
