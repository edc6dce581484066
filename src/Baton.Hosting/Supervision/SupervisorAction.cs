namespace Baton.Hosting.Supervision;

/// <summary>What the supervisor does on a trigger.</summary>
public enum SupervisorAction
{
    /// <summary>Nothing beyond the phase change.</summary>
    None,

    /// <summary>No effect in this phase.</summary>
    Ignore,

    /// <summary>Refused; the asker gets the reason.</summary>
    Refuse,

    /// <summary>Start a worker (the next one, or a replacement).</summary>
    StartWorker,

    /// <summary>The new worker serves: tell the previous one to drain.</summary>
    DrainPrevious,

    /// <summary>Start a replacement again after a backoff (1 s, 2 s, … 30 s; a stop cancels it).</summary>
    RetryStart,

    /// <summary>Forward the signal to the serving worker.</summary>
    Forward,

    /// <summary>SIGTERM to every worker, the one starting included; stop waiting for it.</summary>
    StopWorkers,

    /// <summary>Exit with the serving worker's exit code.</summary>
    Exit,
}
