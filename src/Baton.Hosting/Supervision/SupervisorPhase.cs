namespace Baton.Hosting.Supervision;

/// <summary>Where the supervisor is (its own phases, in the lifecycle's vocabulary).</summary>
public enum SupervisorPhase
{
    /// <summary>The first worker is starting.</summary>
    Starting,

    /// <summary>A worker serves.</summary>
    Serving,

    /// <summary>The next worker is starting; the current one serves until it is ready.</summary>
    Upgrading,

    /// <summary>The serving worker died; a replacement is starting (connections wait in the backlog).</summary>
    Restarting,

    /// <summary>The service is stopping: no new worker starts; it exits once every worker is gone.</summary>
    Stopping,

    /// <summary>Every worker is gone.</summary>
    Stopped,
}
