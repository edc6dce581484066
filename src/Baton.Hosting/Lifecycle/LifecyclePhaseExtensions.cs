namespace Baton.Hosting.Lifecycle;

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
