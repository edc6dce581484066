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
/// the transition table and the supervisor's phases, 2850–2899 handoff, upgrade socket and PID
/// file, 2900–2949 the admin surface's guards and configuration messages.
/// </remarks>
public static class BatonEventIds
{
    // Lifecycle 1000–1099
    public const int PhaseChanged = 1000;
    public const int SignalReceived = 1001;
    public const int ReadinessWithdrawn = 1002;
    public const int GracePeriodStarted = 1003;
    public const int GracePeriodEnded = 1004;
    public const int FastStopRequested = 1005;
    public const int ShutdownComplete = 1006;
    public const int SignalIgnored = 1007;
    public const int Started = 1008;
    public const int UpgradeDisabled = 1009;

    // Draining 1100–1199
    public const int DrainStarted = 1100;
    public const int DrainProgress = 1101;
    public const int DrainCompleted = 1102;
    public const int NotAllRequestsDrained = 1103;
    public const int LongLivedClosing = 1104;
    public const int ListenerClosed = 1105;
    public const int UpstreamPoolsDrained = 1106;
    public const int DrainStepFailed = 1107;
    public const int UploadsHandedBack = 1108;

    // Handoff and upgrade 1200–1299
    public const int ListenerBound = 1200;
    public const int ListenerAdopted = 1201;
    public const int UpgradeRequested = 1202;
    public const int ListenersHandedOff = 1203;
    public const int UpgradeReady = 1204;
    public const int UpgradeRolledBack = 1205;
    public const int UpgradeRefused = 1206;
    public const int UpgradeSocketListening = 1207;
    public const int UpgradeSocketRejected = 1208;
    public const int ListenerDropped = 1209;
    public const int SystemdNotified = 1210;
    public const int PidFileWritten = 1211;
    public const int UpgradeProgress = 1212;
    public const int SystemdNotifyFailed = 1213;
    public const int HandoffFailed = 1214;
    public const int SupervisorStarted = 1215;
    public const int WorkerDied = 1216;

    // Health and control 1300–1399
    public const int MarkedUnhealthy = 1300;
    public const int PreStopRequested = 1301;
    public const int AdminListening = 1302;

    // Configuration and proxy 1400–1499
    public const int ConfigReloaded = 1400;
    public const int ConfigReloadRejected = 1401;
    public const int ListenerChangeNeedsUpgrade = 1402;
    public const int ProxyListening = 1403;
    public const int ConfigError = 1404;

    // TLS certificates and limits 2700–2799
    public const int CertificateLoaded = 2700;
    public const int CertificateReloadFailed = 2701;
    public const int CertificateExpiresSoon = 2702;
    public const int CertificateExpired = 2703;
    public const int ConnectionLimitReached = 2710;
    // Upstreams 2400–2499 (retries, ejections, replay; the Baton executable)
    public const int UpstreamRetry = 2400;
    public const int UpstreamNotRetried = 2401;
    public const int DestinationEjected = 2402;
    public const int DestinationRestored = 2403;
    public const int RequestReplayed = 2404;
    public const int ReplayRejected = 2405;

    // Observability 2600–2699
    public const int AccessLogOpened = 2600;
    public const int AccessLogReopened = 2601;
    public const int AccessLogDropped = 2602;
    public const int AccessLogWriteFailed = 2603;
    public const int UpstreamError = 2610;
    public const int UpstreamClientAborted = 2611;
    public const int ConfigWarning = 2620;
    public const int TelemetryExporting = 2630;
    // Start-up, warm-up and the native executable 2500–2599
    public const int StartupTimings = 2500;

    // The one lifecycle 2800–2849 (transition table, supervisor phases)
    public const int IllegalTrigger = 2800;
    public const int TriggerNotApplied = 2801;
    public const int SupervisorPhaseChanged = 2802;

    // Handoff, upgrade socket, PID file 2850–2899 (issue 11)
    public const int ListenerMoved = 2850;
    public const int PidFileRemoved = 2851;

    // Admin surface and configuration messages 2900–2949 (issue 11, helper S)
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
        IllegalTrigger => nameof(IllegalTrigger),
        TriggerNotApplied => nameof(TriggerNotApplied),
        SupervisorPhaseChanged => nameof(SupervisorPhaseChanged),
        AdminRequestRefused => nameof(AdminRequestRefused),
        ListenerMoved => nameof(ListenerMoved),
        PidFileRemoved => nameof(PidFileRemoved),
        _ => id.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
