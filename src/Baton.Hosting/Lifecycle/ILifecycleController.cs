namespace Baton.Hosting.Lifecycle;

/// <summary>
/// Turns intents (from signals, control endpoints or tests) into lifecycle actions. Signals reach
/// it through <see cref="BatonHostLifetime"/>; tests can call it directly.
/// </summary>
public interface ILifecycleController
{
    /// <summary>Asks for an intent. <paramref name="source"/> names where it came from, for the logs.</summary>
    /// <param name="intent">What to do.</param>
    /// <param name="source">"SIGTERM", "prestop", "control", …</param>
    /// <param name="fromSignal">True for a POSIX signal: a second stop signal forces a fast stop.</param>
    void Request(LifecycleIntent intent, string source, bool fromSignal = false);

    /// <summary>
    /// Kubernetes preStop: withdraws readiness at once, waits the grace period, then begins the
    /// drain. Completes when the drain begins.
    /// </summary>
    Task PreStopAsync(CancellationToken cancellationToken);
}
