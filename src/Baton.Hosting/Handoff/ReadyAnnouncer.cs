using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Supervision;
using Baton.Hosting.Systemd;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Hosting.Handoff;

/// <summary>
/// Announces that this process serves (step N5 of docs/upgrade.md), once its listeners accept:
/// reports ready to the old process, writes the PID file atomically, tells systemd
/// (<c>MAINPID=</c> when this process took over from another, then <c>READY=1</c>), and opens the
/// upgrade socket. Later tells systemd <c>STOPPING=1</c> when a real shutdown begins.
/// </summary>
internal sealed partial class ReadyAnnouncer
{
    private readonly HandoffIntake _intake;
    private readonly SystemdNotifier _systemd;
    private readonly LifecycleState _state;
    private readonly LifecycleOptions _options;
    private readonly UpgradeSocketServer _upgradeSocket;
    private readonly SupervisorLink _supervisor;
    private readonly IHostApplicationLifetime _appLifetime;
    private readonly ILogger _logger;

    public ReadyAnnouncer(HandoffIntake intake, SystemdNotifier systemd, LifecycleState state, IOptions<LifecycleOptions> options,
        UpgradeSocketServer upgradeSocket, SupervisorLink supervisor, IHostApplicationLifetime appLifetime, ILogger<ReadyAnnouncer> logger)
    {
        _appLifetime = appLifetime;
        _supervisor = supervisor;
        _intake = intake;
        _systemd = systemd;
        _state = state;
        _options = options.Value;
        _upgradeSocket = upgradeSocket;
        _logger = logger;
    }

    public async Task AnnounceAsync()
    {
        await _intake.ReportReadyAsync().ConfigureAwait(false);
        if (_intake.Supervised)
        {
            // The supervisor is the service's process: it writes the PID file and talks to systemd.
            _supervisor.Start();
            return;
        }

        if (_options.PidFile is { } pidFile)
        {
            PidFile.Write(pidFile);
            Log.PidFileWritten(_logger, pidFile, Environment.ProcessId);
            _appLifetime.ApplicationStopped.Register(() =>
            {
                if (PidFile.RemoveIfOurs(pidFile))
                {
                    Log.PidFileRemoved(_logger, pidFile, Environment.ProcessId);
                }
            });
        }

        _systemd.Notify(_intake.Mode is IntakeMode.ReExec or IntakeMode.UpgradeSocket
            ? $"MAINPID={Environment.ProcessId}\nREADY=1"
            : "READY=1");
        _state.PhaseChanged += (_, now) =>
        {
            if (now is LifecyclePhase.GracePeriod or LifecyclePhase.Aborting)
            {
                _systemd.Notify("STOPPING=1");
            }
        };
        _upgradeSocket.Start();
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.PidFileWritten, LogLevel.Information, "PID file {Path} written: {Pid}", EventName = nameof(BatonEventIds.PidFileWritten))]
        public static partial void PidFileWritten(ILogger logger, string path, int pid);

        [LoggerMessage(BatonEventIds.PidFileRemoved, LogLevel.Information, "PID file {Path} removed: pid {Pid} exits", EventName = nameof(BatonEventIds.PidFileRemoved))]
        public static partial void PidFileRemoved(ILogger logger, string path, int pid);
    }
}
