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

/// <summary>Reloads configuration (SIGHUP). Provided by the application.</summary>
public interface IReloadHandler
{
    /// <summary>Reloads; logs success or why the new configuration was rejected.</summary>
    void Reload(string source);
}

/// <summary>The result of an upgrade, as <c>baton upgrade</c> reports it.</summary>
/// <param name="Succeeded">True when the new process reported ready and this one is draining.</param>
/// <param name="Message">What happened, in one line (the reason for a rollback or a refusal).</param>
/// <param name="NewPid">The new process's pid, when one started.</param>
/// <param name="Refused">True when the upgrade was refused before anything started (nothing to roll back).</param>
public sealed record UpgradeResult(bool Succeeded, string Message, int? NewPid = null, bool Refused = false);

/// <summary>Hands this process's listeners to a new one (the upgrade issue's handoff).</summary>
public interface IUpgradeHandler
{
    /// <summary>Runs one upgrade to completion: ready (this process then drains) or rolled back.</summary>
    Task<UpgradeResult> UpgradeAsync(string source, CancellationToken cancellationToken);
}
