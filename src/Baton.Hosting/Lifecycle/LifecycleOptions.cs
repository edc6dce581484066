namespace Baton.Hosting.Lifecycle;

/// <summary>
/// How Baton stops and upgrades (<c>Baton:Lifecycle</c>). Every value is validated at start-up
/// by <see cref="LifecycleOptionsValidator"/>.
/// </summary>
public sealed class LifecycleOptions
{
    /// <summary>
    /// How long in-flight requests may take to finish once listeners close. Defaults to 30 seconds.
    /// </summary>
    /// <remarks>
    /// Matches Kestrel's <c>HostOptions.ShutdownTimeout</c> and Kubernetes'
    /// <c>terminationGracePeriodSeconds</c> default; under Kubernetes keep
    /// <c>ShutdownGracePeriod + DrainTimeout</c> below the pod's termination grace period.
    /// Seed alias: <c>drain_timeout_ms</c>.
    /// </remarks>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After SIGTERM, how long readiness answers 503 while requests are still served normally, so
    /// load balancers route away before listeners close. Defaults to 5 seconds; zero is allowed.
    /// </summary>
    /// <remarks>
    /// Kubernetes removes endpoints asynchronously after SIGTERM (kubernetes#43576); 5 s covers a
    /// typical endpoint propagation. Traefik calls this <c>requestAcceptGraceTimeout</c>, Caddy
    /// <c>shutdown_delay</c>. Seed alias: <c>shutdown_grace_period_ms</c>.
    /// </remarks>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long before the drain deadline WebSockets and other long-lived connections are closed
    /// (WebSockets with close code 1001, going away). Defaults to zero: at the deadline.
    /// </summary>
    public TimeSpan LongLivedCloseLead { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// After a second SIGTERM/SIGINT, how long what is left may still finish before it is aborted.
    /// Defaults to 1 second.
    /// </summary>
    public TimeSpan FastStopTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Turns zero-downtime upgrades on (SIGQUIT, <c>baton upgrade</c>, the upgrade socket).
    /// Defaults to false. Seed alias: <c>enable_zero_downtime</c>.
    /// </summary>
    public bool EnableZeroDowntime { get; set; }

    /// <summary>
    /// The Unix socket on which this process hands its listeners to a new process started with
    /// <c>baton run --upgrade</c> (Pingora's <c>upgrade_sock</c>). Mode 0600; the peer's uid must
    /// match. Defaults to none. Seed alias: <c>socket_path</c>.
    /// </summary>
    public string? SocketPath { get; set; }

    /// <summary>
    /// The command a re-exec upgrade starts (program and arguments, shell-style quoting). Defaults
    /// to this process's own binary and arguments.
    /// </summary>
    public string? UpgradeCommand { get; set; }

    /// <summary>
    /// How long a new process has to report ready before it is killed and the upgrade rolled
    /// back. Defaults to 60 seconds (tableflip's default).
    /// </summary>
    public TimeSpan UpgradeTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many older generations may still be draining when an upgrade starts. Defaults to 4.
    /// HAProxy's <c>mworker-max-reloads</c> plays the same role.
    /// </summary>
    public int MaxDrainingGenerations { get; set; } = 4;

    /// <summary>A PID file written atomically when this process becomes ready. Defaults to none. Seed alias: <c>pid_file</c>.</summary>
    public string? PidFile { get; set; }
}
