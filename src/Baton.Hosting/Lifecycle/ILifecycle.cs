namespace Baton.Hosting.Lifecycle;

/// <summary>The current phase of this process and its changes. The one source everything reads.</summary>
public interface ILifecycle
{
    /// <summary>The current phase.</summary>
    LifecyclePhase Phase { get; }

    /// <summary>When the current phase was entered (from the lifecycle's <see cref="TimeProvider"/>).</summary>
    DateTimeOffset PhaseSince { get; }

    /// <summary>True when an operator marked this instance unhealthy (readiness then answers 503).</summary>
    bool MarkedUnhealthy { get; }

    /// <summary>Readiness: serving, and not marked unhealthy.</summary>
    bool IsReady => Phase.IsServing() && !MarkedUnhealthy;

    /// <summary>Raised after every phase change, on the thread that made it (old phase, new phase).</summary>
    event Action<LifecyclePhase, LifecyclePhase>? PhaseChanged;

    /// <summary>Completes when the phase becomes one of <paramref name="phases"/> (at once if it already is).</summary>
    Task WaitForPhaseAsync(CancellationToken cancellationToken, params LifecyclePhase[] phases);
}
