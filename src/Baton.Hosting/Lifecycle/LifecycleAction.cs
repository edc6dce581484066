namespace Baton.Hosting.Lifecycle;

/// <summary>What the lifecycle does when a trigger arrives (the action column of <see cref="LifecycleTable"/>).</summary>
public enum LifecycleAction
{
    /// <summary>Nothing beyond the phase change.</summary>
    None,

    /// <summary>Nothing: the trigger has no effect in this phase (logged with the reason).</summary>
    Ignore,

    /// <summary>Refused: the caller gets the reason (an upgrade while one runs, or while stopping).</summary>
    Refuse,

    /// <summary>Withdraw readiness and serve for the grace period.</summary>
    StartGracePeriod,

    /// <summary>Remember the stop; it is applied when the running upgrade or start-up has a result.</summary>
    DeferStop,

    /// <summary>Cancel the grace period, shorten the drain deadline to the fast-stop timeout, stop.</summary>
    FastStop,

    /// <summary>Begin an upgrade: start or accept the new process and hand it the listeners.</summary>
    StartUpgrade,

    /// <summary>Reload the configuration.</summary>
    Reload,

    /// <summary>Set or clear the operator's unhealthy mark.</summary>
    MarkHealth,

    /// <summary>Stop the application: listeners this process owns alone close, in-flight requests drain.</summary>
    StopApplication,

    /// <summary>The upgrade failed: serve on, then apply a stop that was deferred meanwhile.</summary>
    RollBack,
}
