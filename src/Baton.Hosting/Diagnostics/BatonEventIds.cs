namespace Baton.Hosting.Diagnostics;

/// <summary>
/// The one registry of Baton's log event ids. Each folder owns a range; tests wait on these ids.
/// A duplicate id is a compile error (the constants are used as <c>case</c> labels in
/// <see cref="BatonEventIds.NameOf"/>).
/// </summary>
/// <remarks>
/// Ranges: 1000–1099 lifecycle, 1100–1199 draining, 1200–1299 handoff and upgrade,
/// 1300–1399 health and control, 1400–1499 configuration and proxy (the Baton executable),
/// 2400–2499 upstreams: retries, ejections, replay, 2500–2599 start-up, warm-up and the native
/// executable, 2600–2699 observability: access log, metrics, tracing, upstream errors, check
/// warnings, 2700–2799 TLS certificates and limits (the Baton executable), 2800–2849 the one lifecycle:
/// the transition table and the supervisor's phases, 2850–2859 handoff, upgrade socket and PID
/// file, 2860–2899 more lifecycle steps (a deferred stop satisfied, …), 2900–2949 the admin
/// surface's guards and configuration messages.
/// </remarks>
public static class BatonEventIds
{
    // Lifecycle 1000–1099
    /// <summary>Information: "Phase {Previous} -&gt; {Phase}: {Reason}".</summary>
    public const int PhaseChanged = 1000;
    /// <summary>Information: "{Signal} received: {Intent}".</summary>
    public const int SignalReceived = 1001;
    /// <summary>Information: "{Source}: readiness withdrawn; serving normally for the grace period of {GraceMs} ms".</summary>
    public const int ReadinessWithdrawn = 1002;
    /// <summary>Retired: no longer logged; kept so that the id is never given to another event.</summary>
    public const int GracePeriodStarted = 1003;
    /// <summary>Information: "Grace period of {GraceMs} ms ended: closing listeners and draining".</summary>
    public const int GracePeriodEnded = 1004;
    /// <summary>Warning: "{Source} during shutdown: fast stop, what is left is aborted after {TimeoutMs} ms".</summary>
    public const int FastStopRequested = 1005;
    /// <summary>Information: "Shutdown of pid {Pid} complete; exit code {ExitCode}".</summary>
    public const int ShutdownComplete = 1006;
    /// <summary>Information: "{Signal} ignored: {Why}".</summary>
    public const int SignalIgnored = 1007;
    /// <summary>Information: "Baton started: pid {Pid}, generation {Generation}".</summary>
    public const int Started = 1008;
    /// <summary>Warning: "{Source}: upgrade is not enabled (set Baton:Lifecycle:EnableZeroDowntime to true); still serving".</summary>
    public const int UpgradeDisabled = 1009;

    // Draining 1100–1199
    /// <summary>Information: "Drain started (timeout {TimeoutMs} ms): {InFlight} in-flight request(s), {Connections} connection(s), {LongLived} long-lived".</summary>
    public const int DrainStarted = 1100;
    /// <summary>Information: "Draining: {InFlight} in-flight, {Connections} connection(s), {LongLived} long-lived, oldest request {OldestAgeMs} ms, deadline in {RemainingMs} ms".</summary>
    public const int DrainProgress = 1101;
    /// <summary>Information: "Drain of pid {Pid} completed in {DurationMs} ms: {Served} request(s) served in total, {Aborted} aborted, {LongLived} long-lived closed; last request ended {AfterLastMs} ms ago".</summary>
    public const int DrainCompleted = 1102;
    /// <summary>Warning: "NotAllRequestsDrained: {Count} request(s) still running after {ElapsedMs} ms were aborted".</summary>
    public const int NotAllRequestsDrained = 1103;
    /// <summary>Warning: "Closed {Count} long-lived connection(s) at the drain deadline; {CloseFrames} WebSocket(s) got close code 1001".</summary>
    public const int LongLivedClosing = 1104;
    /// <summary>Information: "Listener {Key} on {EndPoint} stopped accepting (fd {Fd} closed, removed from {Epolls} epoll set(s))".</summary>
    public const int ListenerClosed = 1105;
    /// <summary>Information: "Post-drain step {Step}: {Summary}".</summary>
    public const int UpstreamPoolsDrained = 1106;
    /// <summary>Error: "Post-drain step {Step} failed".</summary>
    public const int DrainStepFailed = 1107;
    /// <summary>Information: "Handed {Count} upload(s) still arriving back to the proxy for replay".</summary>
    public const int UploadsHandedBack = 1108;

    // Handoff and upgrade 1200–1299
    /// <summary>Information: "Listener {Key} bound on {EndPoint} (fd {Fd}, backlog {Backlog})".</summary>
    public const int ListenerBound = 1200;
    /// <summary>Information: "Listener {Key} adopted on {EndPoint} (fd {Fd}, {Origin})".</summary>
    public const int ListenerAdopted = 1201;
    /// <summary>Information: "Upgrade requested by {Source}: pid {Pid} (generation {Generation}) {Next}" (hands over its listeners, will be replaced by a new worker, asks the supervisor for a new worker).</summary>
    public const int UpgradeRequested = 1202;
    /// <summary>Information: "Handed {Count} listener(s) ({Keys}) to pid {NewPid}; still serving until it reports ready".</summary>
    public const int ListenersHandedOff = 1203;
    /// <summary>Information: "Upgrade ready: pid {NewPid} (generation {Generation}) serves after {ElapsedMs} ms; pid {OldPid} stops accepting and drains".</summary>
    public const int UpgradeReady = 1204;
    /// <summary>Error: "UpgradeRolledBack ({Source}): {Reason}; still serving".</summary>
    public const int UpgradeRolledBack = 1205;
    /// <summary>Warning: "Upgrade refused ({Source}): {Reason}".</summary>
    public const int UpgradeRefused = 1206;
    /// <summary>Information: "Upgrade socket listening on {Path} (mode 0600)".</summary>
    public const int UpgradeSocketListening = 1207;
    /// <summary>Warning: "Upgrade socket: refused a connection from pid {Pid}: {Reason}; still serving".</summary>
    public const int UpgradeSocketRejected = 1208;
    /// <summary>Information: "Listener {Key} (fd {Fd}) is not in the configuration any more: closed".</summary>
    public const int ListenerDropped = 1209;
    /// <summary>Debug: "sd_notify: {State}".</summary>
    public const int SystemdNotified = 1210;
    /// <summary>Information: "PID file {Path} written: {Pid}".</summary>
    public const int PidFileWritten = 1211;
    /// <summary>Warning: "Upgrade failing ({Outcome}): stopping pid {NewPid} (SIGTERM, then SIGKILL after 3 s) before rolling back".</summary>
    public const int UpgradeProgress = 1212;
    /// <summary>Warning: "sd_notify {State} failed: {Error}".</summary>
    public const int SystemdNotifyFailed = 1213;
    /// <summary>Error: "Handoff failed: {Reason}" (a worker could not start or report; a worker lost its supervisor).</summary>
    public const int HandoffFailed = 1214;
    /// <summary>Information: "Supervisor pid {Pid} holds the listeners; worker pid {WorkerPid} serves".</summary>
    public const int SupervisorStarted = 1215;
    /// <summary>Error: "Worker pid {Pid} exited unexpectedly with {ExitCode}; starting a new one on the same listening sockets".</summary>
    public const int WorkerDied = 1216;

    // Health and control 1300–1399
    /// <summary>Warning: "Marked unhealthy: {Unhealthy}".</summary>
    public const int MarkedUnhealthy = 1300;
    /// <summary>Retired: no longer logged; kept so that the id is never given to another event.</summary>
    public const int PreStopRequested = 1301;
    /// <summary>Retired: no longer logged; kept so that the id is never given to another event.</summary>
    public const int AdminListening = 1302;

    // Configuration and proxy 1400–1499
    /// <summary>Information: "Configuration reloaded ({Source}); routes and clusters applied".</summary>
    public const int ConfigReloaded = 1400;
    /// <summary>Error: "Configuration reload ({Source}) rejected, still running the previous one: {Error}".</summary>
    public const int ConfigReloadRejected = 1401;
    /// <summary>Warning: "Listener changes are not applied by a reload: {Changes}; run 'baton upgrade' (or send SIGQUIT) to apply them".</summary>
    public const int ListenerChangeNeedsUpgrade = 1402;
    /// <summary>Information: "Listening: {Key} on {EndPoint} ({Protocols}, {Scheme})".</summary>
    public const int ProxyListening = 1403;
    /// <summary>Critical: "Baton could not start: {Error}".</summary>
    public const int ConfigError = 1404;

    // TLS certificates and limits 2700–2799
    /// <summary>Information: "Certificate loaded ({Source}) for {Uses}: {Subject}, expires {NotAfter}, SHA-256 {Thumbprint}, from {Path}".</summary>
    public const int CertificateLoaded = 2700;
    /// <summary>Warning: "Certificate for {Uses} not reloaded, still serving {Thumbprint}: {Error}".</summary>
    public const int CertificateReloadFailed = 2701;
    /// <summary>Warning: "Certificate for {Uses} expires in {DaysLeft} days ({NotAfter}): {Subject}, from {Path}; renew it (the file reloads by itself)".</summary>
    public const int CertificateExpiresSoon = 2702;
    /// <summary>Error: "Certificate for {Uses} has expired ({NotAfter}): {Subject}, from {Path}; clients refuse it until it is renewed".</summary>
    public const int CertificateExpired = 2703;
    /// <summary>Warning: "Listener {Listener} is at MaxConnections {Max}: {Refused} connection(s) closed unserved since the last report".</summary>
    public const int ConnectionLimitReached = 2710;
    // Upstreams 2400–2499 (retries, ejections, replay; the Baton executable)
    /// <summary>Debug: "Retry {Try} of {Method} {Path} on cluster {Cluster}: {Failure} at {Destination}".</summary>
    public const int UpstreamRetry = 2400;
    /// <summary>Information: "Not retried: {Method} {Path} on cluster {Cluster}: {Failure} at {Destination}; {Why}".</summary>
    public const int UpstreamNotRetried = 2401;
    /// <summary>Information: "Destination {Destination} of cluster {Cluster} out of rotation for up to {Seconds} s: {Reason}".</summary>
    public const int DestinationEjected = 2402;
    /// <summary>Information: "Destination {Destination} of cluster {Cluster} back in rotation: {Reason}".</summary>
    public const int DestinationRestored = 2403;
    /// <summary>Information: "Replaying {Method} {Path} handed back by {Destination} of cluster {Cluster}: {Returned} body bytes returned, {Sent} had been sent".</summary>
    public const int RequestReplayed = 2404;
    /// <summary>Warning: "Cannot replay {Method} {Path} handed back by {Destination} of cluster {Cluster}: {Why}; answering 502".</summary>
    public const int ReplayRejected = 2405;

    // Observability 2600–2699
    /// <summary>Information: "Access log: {Target} ({Format})".</summary>
    public const int AccessLogOpened = 2600;
    /// <summary>Information: "Access log reopened on SIGUSR1: {Path}".</summary>
    public const int AccessLogReopened = 2601;
    /// <summary>Warning: "Access log fell behind: {Count} line(s) dropped ({Total} in all); the buffer holds {BufferLines} lines (Baton:AccessLog:BufferLines)".</summary>
    public const int AccessLogDropped = 2602;
    /// <summary>Error: "Access log cannot be written to {Target}: {Error}".</summary>
    public const int AccessLogWriteFailed = 2603;
    /// <summary>Warning: "Upstream error: {Destination}: {Error} after {ElapsedMs} ms, answered {Status}: {Reason}".</summary>
    public const int UpstreamError = 2610;
    /// <summary>Debug: "Client aborted a proxied request: {Destination}: {Error} after {ElapsedMs} ms: {Reason}".</summary>
    public const int UpstreamClientAborted = 2611;
    /// <summary>Warning: "Configuration warning: {Warning}".</summary>
    public const int ConfigWarning = 2620;
    /// <summary>Information: "OTLP export to {Endpoint} ({Protocol}): traces {Traces}, metrics {Metrics}".</summary>
    public const int TelemetryExporting = 2630;
    // Start-up, warm-up and the native executable 2500–2599
    /// <summary>Information: "Started in {Milliseconds:0.0} ms after Main ({Steps} ms)".</summary>
    public const int StartupTimings = 2500;
    /// <summary>Information: "Idle for {IdleMs} ms: memory trimmed in {ElapsedMs:0.0} ms, RSS {RssBeforeMb:0.0} -&gt; {RssAfterMb:0.0} MB, GC heap committed {CommittedBeforeMb:0.0} -&gt; {CommittedAfterMb:0.0} MB".</summary>
    public const int MemoryTrimmed = 2501;

    // The one lifecycle 2800–2849 (transition table, supervisor phases)
    /// <summary>Error: "IllegalTrigger: {Trigger} cannot happen in phase {Phase} ({Reason}); the phase stays. This is a bug in Baton".</summary>
    public const int IllegalTrigger = 2800;
    /// <summary>Information: "{Trigger} in phase {Phase} ({Reason}): {Outcome}".</summary>
    public const int TriggerNotApplied = 2801;
    /// <summary>Information: "Supervisor phase {Previous} -&gt; {Phase}: {Reason}".</summary>
    public const int SupervisorPhaseChanged = 2802;

    // Handoff, upgrade socket, PID file 2850–2859 (issue 11)
    /// <summary>Warning: "Listener {Key} was handed in on {Old} but the configuration says {New}: bound afresh there; the old socket closes with the old process".</summary>
    public const int ListenerMoved = 2850;
    /// <summary>Information: "PID file {Path} removed: pid {Pid} exits".</summary>
    public const int PidFileRemoved = 2851;

    // More lifecycle steps 2860–2899 (issue 11, helper T)
    /// <summary>Information: "The deferred stop ({Source}) needs no run of its own: phase {Phase}, {Outcome}".</summary>
    public const int DeferredStopSatisfied = 2860;

    // Admin surface and configuration messages 2900–2949 (issue 11, helper S)
    /// <summary>Warning: "Admin request refused: {Method} {Path}: {Reason}".</summary>
    public const int AdminRequestRefused = 2900;

    /// <summary>The event name of an id, for tests and tools that read JSON logs.</summary>
    public static string NameOf(int id) => id switch
    {
        PhaseChanged => nameof(PhaseChanged),
        SignalReceived => nameof(SignalReceived),
        ReadinessWithdrawn => nameof(ReadinessWithdrawn),
        GracePeriodStarted => nameof(GracePeriodStarted),
        GracePeriodEnded => nameof(GracePeriodEnded),
        FastStopRequested => nameof(FastStopRequested),
        ShutdownComplete => nameof(ShutdownComplete),
        SignalIgnored => nameof(SignalIgnored),
        Started => nameof(Started),
        UpgradeDisabled => nameof(UpgradeDisabled),
        DrainStarted => nameof(DrainStarted),
        DrainProgress => nameof(DrainProgress),
        DrainCompleted => nameof(DrainCompleted),
        NotAllRequestsDrained => nameof(NotAllRequestsDrained),
        LongLivedClosing => nameof(LongLivedClosing),
        ListenerClosed => nameof(ListenerClosed),
        UpstreamPoolsDrained => nameof(UpstreamPoolsDrained),
        DrainStepFailed => nameof(DrainStepFailed),
        ListenerBound => nameof(ListenerBound),
        ListenerAdopted => nameof(ListenerAdopted),
        UpgradeRequested => nameof(UpgradeRequested),
        ListenersHandedOff => nameof(ListenersHandedOff),
        UpgradeReady => nameof(UpgradeReady),
        UpgradeRolledBack => nameof(UpgradeRolledBack),
        UpgradeRefused => nameof(UpgradeRefused),
        UpgradeSocketListening => nameof(UpgradeSocketListening),
        UpgradeSocketRejected => nameof(UpgradeSocketRejected),
        ListenerDropped => nameof(ListenerDropped),
        SystemdNotified => nameof(SystemdNotified),
        PidFileWritten => nameof(PidFileWritten),
        UpgradeProgress => nameof(UpgradeProgress),
        SystemdNotifyFailed => nameof(SystemdNotifyFailed),
        HandoffFailed => nameof(HandoffFailed),
        SupervisorStarted => nameof(SupervisorStarted),
        WorkerDied => nameof(WorkerDied),
        MarkedUnhealthy => nameof(MarkedUnhealthy),
        PreStopRequested => nameof(PreStopRequested),
        AdminListening => nameof(AdminListening),
        ConfigReloaded => nameof(ConfigReloaded),
        ConfigReloadRejected => nameof(ConfigReloadRejected),
        ListenerChangeNeedsUpgrade => nameof(ListenerChangeNeedsUpgrade),
        ProxyListening => nameof(ProxyListening),
        ConfigError => nameof(ConfigError),
        CertificateLoaded => nameof(CertificateLoaded),
        CertificateReloadFailed => nameof(CertificateReloadFailed),
        CertificateExpiresSoon => nameof(CertificateExpiresSoon),
        CertificateExpired => nameof(CertificateExpired),
        ConnectionLimitReached => nameof(ConnectionLimitReached),
        AccessLogOpened => nameof(AccessLogOpened),
        AccessLogReopened => nameof(AccessLogReopened),
        AccessLogDropped => nameof(AccessLogDropped),
        AccessLogWriteFailed => nameof(AccessLogWriteFailed),
        UpstreamError => nameof(UpstreamError),
        UpstreamClientAborted => nameof(UpstreamClientAborted),
        ConfigWarning => nameof(ConfigWarning),
        TelemetryExporting => nameof(TelemetryExporting),
        UploadsHandedBack => nameof(UploadsHandedBack),
        UpstreamRetry => nameof(UpstreamRetry),
        UpstreamNotRetried => nameof(UpstreamNotRetried),
        DestinationEjected => nameof(DestinationEjected),
        DestinationRestored => nameof(DestinationRestored),
        RequestReplayed => nameof(RequestReplayed),
        ReplayRejected => nameof(ReplayRejected),
        StartupTimings => nameof(StartupTimings),
        MemoryTrimmed => nameof(MemoryTrimmed),
        IllegalTrigger => nameof(IllegalTrigger),
        TriggerNotApplied => nameof(TriggerNotApplied),
        SupervisorPhaseChanged => nameof(SupervisorPhaseChanged),
        AdminRequestRefused => nameof(AdminRequestRefused),
        ListenerMoved => nameof(ListenerMoved),
        PidFileRemoved => nameof(PidFileRemoved),
        DeferredStopSatisfied => nameof(DeferredStopSatisfied),
        _ => id.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
