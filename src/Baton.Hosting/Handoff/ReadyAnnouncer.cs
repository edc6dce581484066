using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Supervision;
using Baton.Hosting.Systemd;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Hosting.Handoff;

/// <summary>
/// Steps N4–N5 of docs/upgrade.md, in an order where nothing can fail after ready (issue 11,
/// defect 2): <see cref="Prepare"/> (before Kestrel starts) writes the PID file's temporary file
/// and binds the upgrade socket under a private name; a failure there is reported as
/// <c>failed</c>, so the old process keeps serving. <see cref="AnnounceAsync"/> (once the
/// listeners accept) reports ready to the old process, renames the PID file into place, tells
/// systemd (<c>MAINPID=</c> when this process took over from another, then <c>READY=1</c>), and
/// takes the upgrade socket's path. Later tells systemd <c>STOPPING=1</c> when a real shutdown begins.
/// </summary>
internal sealed class ReadyAnnouncer : IDisposable
{
    private readonly HandoffIntake _intake;
    private readonly SystemdNotifier _systemd;
    private readonly LifecycleState _state;
    private readonly LifecycleOptions _options;
    private readonly UpgradeSocketServer _upgradeSocket;
    private readonly SupervisorLink _supervisor;
    private readonly IHostApplicationLifetime _appLifetime;
    private readonly ILogger _logger;
    private string? _pidTemp;

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

    /// <summary>Every fallible step of N5, before ready. Returns the one-line reason of the first that fails.</summary>
    public string? Prepare()
    {
        if (_intake.Supervised)
        {
            return null; // the supervisor writes the PID file and owns the upgrade socket
        }

        if (_options.PidFile is { Length: > 0 } pidFile)
        {
            try
            {
                _pidTemp = PidFile.Prepare(pidFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"PID file {pidFile}: {ex.Message}";
            }
        }

        return _upgradeSocket.Bind();
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

        if (_options.PidFile is { } pidFile && Interlocked.Exchange(ref _pidTemp, null) is { } temp)
        {
            PidFile.Commit(temp, pidFile);
            LifecycleLog.PidFileWritten(_logger, pidFile, Environment.ProcessId);
            _appLifetime.ApplicationStopped.Register(() =>
            {
                if (PidFile.RemoveIfOurs(pidFile))
                {
                    LifecycleLog.PidFileRemoved(_logger, pidFile, Environment.ProcessId);
                }
            });
        }

        if (_intake.Mode is IntakeMode.ReExec or IntakeMode.UpgradeSocket)
        {
            _systemd.ReadyAsMainProcess(); // it took over from another process
        }
        else
        {
            _systemd.Ready();
        }

        _state.PhaseChanged += (_, now) =>
        {
            if (now is LifecyclePhase.GracePeriod or LifecyclePhase.Aborting)
            {
                _systemd.Stopping();
            }
        };
        _upgradeSocket.Start();
    }

    /// <summary>Removes a prepared PID file that was never committed (this process did not become ready).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _pidTemp, null) is { } temp)
        {
            PidFile.Discard(temp);
        }
    }
}
