using System.Globalization;
using System.Net.Sockets;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Interop;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Hosting.Handoff;

/// <summary>
/// The old process's side of a zero-downtime upgrade (steps O1–O8 of docs/upgrade.md):
/// <list type="number">
/// <item>O1 refuse unless enabled, Running, no other upgrade, and fewer draining generations than the cap;</item>
/// <item>O2 enter UpgradeStarting, tell systemd RELOADING=1;</item>
/// <item>O3 hand the listeners over: re-exec with them inherited (<c>BATON_LISTEN_FDS</c>), or send them
/// with SCM_RIGHTS to the process that connected to the upgrade socket;</item>
/// <item>O4 enter HandingOff and keep serving while the new process starts;</item>
/// <item>O5 wait for its report: ready, failed, exited, garbage, or nothing within <c>UpgradeTimeout</c>;</item>
/// <item>O6 on failure: kill it if needed, log <c>UpgradeRolledBack</c> with the reason, back to Running;</item>
/// <item>O7 on ready: acknowledge, log <c>UpgradeReady</c>, enter UpgradeDraining;</item>
/// <item>O8 stop the application: Kestrel stops accepting (the shared sockets stay open in the new
/// process), in-flight requests drain, the process exits.</item>
/// </list>
/// Only one upgrade runs at a time.
/// </summary>
internal sealed class UpgradeCoordinator : IUpgradeHandler
{
    private readonly ShutdownCoordinator _lifecycle;
    private readonly ListenerTable _table;
    private readonly LifecycleOptions _options;
    private readonly ProcessIdentity _identity;
    private readonly SystemdNotifier _systemd;
    private readonly ProcessLauncher _launcher;
    private readonly HandoffIntake _intake;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BatonMetrics _metrics;

    /// <summary>
    /// How long a peer on the upgrade socket has, once it holds the listeners, to say it took them
    /// (<see cref="HandoffMessage.Received"/>); capped by <c>UpgradeTimeout</c>. A silent peer is
    /// stopped and the upgrade rolled back after this, not after the whole <c>UpgradeTimeout</c>.
    /// </summary>
    internal static readonly TimeSpan FirstProgressTimeout = TimeSpan.FromSeconds(5);

    public UpgradeCoordinator(ShutdownCoordinator lifecycle, ListenerTable table, IOptions<LifecycleOptions> options,
        ProcessIdentity identity, SystemdNotifier systemd, ProcessLauncher launcher, HandoffIntake intake, TimeProvider time,
        BatonMetrics metrics, ILogger<UpgradeCoordinator> logger)
    {
        _lifecycle = lifecycle;
        _metrics = metrics;
        _table = table;
        _options = options.Value;
        _identity = identity;
        _systemd = systemd;
        _launcher = launcher;
        _intake = intake;
        _time = time;
        _logger = logger;
    }

    /// <summary>Re-exec: start the new process with the listeners inherited.</summary>
    public Task<UpgradeResult> UpgradeAsync(string source, CancellationToken cancellationToken)
        => RunAsync(source, peer: null, peerPid: 0);

    /// <summary>Upgrade socket: a new process connected and said hello; send it the listeners.</summary>
    public Task<UpgradeResult> AcceptPeerAsync(UpgradeChannel peer, int peerPid)
        => RunAsync($"upgrade socket (pid {peerPid})", peer, peerPid);

    private async Task<UpgradeResult> RunAsync(string source, UpgradeChannel? peer, int peerPid)
    {
        // O1.
        if (!_options.EnableZeroDowntime)
        {
            return Refuse(source, "upgrades are disabled; set Baton:Lifecycle:EnableZeroDowntime to true");
        }

        if (peer is null && Environment.ProcessId == 1)
        {
            return Refuse(source, "running as PID 1: when this process exits after a re-exec the container ends; use the upgrade socket (Lifecycle:SocketPath with 'baton run --upgrade') or a supervisor");
        }

        var draining = _intake.DrainingPids.Where(Processes.IsAlive).ToArray();
        if (draining.Length >= _options.MaxDrainingGenerations)
        {
            return Refuse(source, $"{draining.Length} older generation(s) still draining (pids {string.Join(", ", draining)}); Lifecycle:MaxDrainingGenerations is {_options.MaxDrainingGenerations}");
        }

        // O2: the table decides (one upgrade at a time, never while starting or stopping).
        var (began, refusal) = await _lifecycle.TryBeginUpgradeAsync(source).ConfigureAwait(false);
        if (!began)
        {
            return Refuse(source, refusal);
        }

        List<OwnedListener> listeners = [];
        ISpawnedProcess? child = null;
        int newPid = peerPid;
        try
        {
            LifecycleLog.UpgradeRequested(_logger, source, Environment.ProcessId, _identity.Generation, "hands over its listeners");
            _systemd.Reloading();
            var started = _time.GetTimestamp();
            listeners = _table.Listeners.Where(l => !l.IsClosed).ToList();
            var keys = listeners.Select(l => l.Key).ToArray();
            var drainingAfter = draining.Append(Environment.ProcessId).ToArray();
            int generation = _identity.Generation + 1;

            // O3: from here another process may hold the listeners.
            foreach (var l in listeners)
            {
                l.Sharing = ListenerSharing.Shared;
            }

            UpgradeChannel channel;
            if (peer is null)
            {
                try
                {
                    var launched = _launcher.Spawn(UpgradeCommandLine.Resolve(_options.UpgradeCommand), listeners, generation,
                        new Dictionary<string, string> { [ListenFdsVariable.DrainingName] = string.Join(',', drainingAfter) });
                    (child, channel) = (launched.Process, launched.Channel);
                }
                catch (LaunchException ex)
                {
                    return await RollBackAsync(source, $"cannot start the new process: {ex.Message}", listeners, gone: true).ConfigureAwait(false);
                }

                newPid = child.Pid;
            }
            else
            {
                channel = peer;
                try
                {
                    await channel.SendAsync(new HandoffMessage
                    {
                        Type = HandoffMessage.Listeners,
                        Pid = Environment.ProcessId,
                        Keys = keys,
                        DrainingPids = drainingAfter,
                        Generation = generation,
                    }, listeners.Select(l => l.Fd).ToArray()).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
                {
                    // It said hello and went away: the fds may have reached it; it holds them until it exits.
                    bool gone = await ProcessLauncher.StopAsync(null, peerPid).ConfigureAwait(false);
                    return await RollBackAsync(source, $"the new process (pid {peerPid}) went away before it took the listeners: {ex.Message}", listeners, gone).ConfigureAwait(false);
                }
            }

            // O4.
            await _lifecycle.HandedOverAsync($"pid {newPid} holds the listeners and is starting").ConfigureAwait(false);
            LifecycleLog.ListenersHandedOff(_logger, listeners.Count, string.Join(", ", keys), newPid);

            // O5.
            using (channel)
            using (child)
            {
                var report = await ProcessLauncher.WaitForReportAsync(channel, child, $"the new process (pid {newPid})", _options.UpgradeTimeout,
                    expectReceipt: peer is null ? null : FirstProgressTimeout).ConfigureAwait(false);
                if (!report.IsReady)
                {
                    // O6.
                    LifecycleLog.StoppingFailedProcess(_logger, newPid, report.Outcome);
                    bool gone = await ProcessLauncher.StopAsync(child, newPid).ConfigureAwait(false);
                    return await RollBackAsync(source, report.Reason, listeners, gone).ConfigureAwait(false);
                }

                // O7: acknowledged even when this process is aborting meanwhile: the new one serves.
                try
                {
                    await channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Ack, Pid = Environment.ProcessId }).ConfigureAwait(false);
                }
                catch (IOException)
                {
                }
            }

            foreach (var l in listeners)
            {
                l.Sharing = ListenerSharing.HandedOver;
            }

            var elapsed = _time.GetElapsedTime(started);
            LifecycleLog.UpgradeReady(_logger, Environment.ProcessId, newPid, generation, Durations.Ms(elapsed));
            _metrics.UpgradeFinished("ready");

            // O8: stop accepting, let busy keep-alive connections end (KeepAliveHandOver), drain.
            await _lifecycle.SuccessorReadyAsync($"pid {newPid} is serving; draining this process").ConfigureAwait(false);
            return new UpgradeResult(true, $"pid {newPid} (generation {generation}) is serving after {elapsed.TotalMilliseconds:0} ms; pid {Environment.ProcessId} is draining", newPid);
        }
        catch (Exception ex) when (listeners.Count == 0 || listeners[0].Sharing != ListenerSharing.HandedOver)
        {
            // Whatever failed (fds exhausted, the peer gone mid-send), never stay stuck half-way.
            bool gone = newPid == 0 || await ProcessLauncher.StopAsync(child, newPid).ConfigureAwait(false);
            return await RollBackAsync(source, $"unexpected error: {ex.Message}", listeners, gone).ConfigureAwait(false);
        }
    }

    private UpgradeResult Refuse(string source, string reason)
    {
        _metrics.UpgradeFinished("refused");
        LifecycleLog.UpgradeRefused(_logger, source, reason);
        return new UpgradeResult(false, $"upgrade refused: {reason}", Refused: true);
    }

    // O6: serve on. The listeners are this process's alone again only once the failed process is
    // known to be gone; until then a later stop leaves them unfiltered.
    private async Task<UpgradeResult> RollBackAsync(string source, string reason, IReadOnlyList<OwnedListener> listeners, bool gone)
    {
        foreach (var l in listeners)
        {
            l.Sharing = gone ? ListenerSharing.Alone : ListenerSharing.Shared;
        }

        await _lifecycle.SuccessorFailedAsync(reason, servingAgain =>
        {
            if (servingAgain)
            {
                _systemd.Ready();
            }

            _metrics.UpgradeFinished("rolled_back");
            LifecycleLog.UpgradeRolledBack(_logger, source, reason, null);
        }).ConfigureAwait(false);
        return new UpgradeResult(false, $"upgrade rolled back, still serving on pid {Environment.ProcessId}: {reason}");
    }
}
