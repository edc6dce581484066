namespace Baton.Hosting.Lifecycle;

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
