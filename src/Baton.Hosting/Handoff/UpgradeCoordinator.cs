using System.Globalization;
using System.Net.Sockets;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Interop;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Systemd;
using Microsoft.Extensions.Hosting;
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
internal sealed partial class UpgradeCoordinator : IUpgradeHandler
{
    private readonly LifecycleState _state;
    private readonly ListenerTable _table;
    private readonly IHostApplicationLifetime _appLifetime;
    private readonly LifecycleOptions _options;
    private readonly ProcessIdentity _identity;
    private readonly SystemdNotifier _systemd;
    private readonly IUpgradeSpawner _spawner;
    private readonly HandoffIntake _intake;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BatonMetrics _metrics;
    private readonly Draining.ConnectionTracker _tracker;
    private int _busy;

    /// <summary>
    /// How long a peer on the upgrade socket has, once it holds the listeners, to say it took them
    /// (<see cref="HandoffMessage.Received"/>); capped by <c>UpgradeTimeout</c>. A silent peer is
    /// stopped and the upgrade rolled back after this, not after the whole <c>UpgradeTimeout</c>.
    /// </summary>
    internal static readonly TimeSpan FirstProgressTimeout = TimeSpan.FromSeconds(5);

    public UpgradeCoordinator(LifecycleState state, ListenerTable table, IHostApplicationLifetime appLifetime,
        IOptions<LifecycleOptions> options, ProcessIdentity identity, SystemdNotifier systemd, IUpgradeSpawner spawner,
        HandoffIntake intake, TimeProvider time, BatonMetrics metrics, Draining.ConnectionTracker tracker, ILogger<UpgradeCoordinator> logger)
    {
        _tracker = tracker;
        _metrics = metrics;
        _state = state;
        _table = table;
        _appLifetime = appLifetime;
        _options = options.Value;
        _identity = identity;
        _systemd = systemd;
        _spawner = spawner;
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

        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return Refuse(source, "an upgrade is already in progress; one upgrade at a time");
        }

        bool handedOver = false;
        try
        {
            if (_state.Phase != LifecyclePhase.Running)
            {
                return Refuse(source, $"this process is in phase {_state.Phase}, not Running");
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

            // O2.
            Log.UpgradeRequested(_logger, source, Environment.ProcessId, _identity.Generation);
            _state.TryTransition(LifecyclePhase.UpgradeStarting, source);
            _systemd.NotifyReloading();
            var started = _time.GetTimestamp();
            var listeners = _table.Listeners.Where(l => !l.IsClosed).ToList();
            var keys = listeners.Select(l => l.Key).ToArray();
            var drainingAfter = draining.Append(Environment.ProcessId).ToArray();
            int generation = _identity.Generation + 1;

            // O3.
            UpgradeChannel channel;
            ISpawnedProcess? child = null;
            int newPid;
            if (peer is null)
            {
                var (mine, theirs) = SocketPairs.Create();
                channel = new UpgradeChannel(SocketPairs.Adopt(mine));
                var environment = ListenFdsVariable.EnvironmentFor(listeners, theirs, generation);
                environment[ListenFdsVariable.DrainingName] = string.Join(',', drainingAfter);
                try
                {
                    child = _spawner.Spawn(UpgradeCommandLine.Resolve(_options.UpgradeCommand), environment, ListenFdsVariable.InheritedFds(listeners, theirs));
                }
                catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
                {
                    channel.Dispose();
                    return RollBack(source, $"cannot start the new process: {ex.Message}");
                }
                finally
                {
                    ListenSockets.Close(theirs);
                }

                newPid = child.Pid;
            }
            else
            {
                channel = peer;
                newPid = peerPid;
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
                    // It said hello and went away: nothing was handed over, but O2 already ran.
                    return RollBack(source, $"the new process (pid {peerPid}) went away before it took the listeners: {ex.Message}");
                }
            }

            // O4.
            _state.TryTransition(LifecyclePhase.HandingOff, $"pid {newPid} holds the listeners and is starting");
            Log.ListenersHandedOff(_logger, listeners.Count, string.Join(", ", keys), newPid);

            // O5.
            using (channel)
            using (child)
            {
                var (ready, reason) = await WaitForReadyAsync(channel, child, newPid, expectReceipt: peer is not null).ConfigureAwait(false);
                if (!ready)
                {
                    // O6.
                    await StopFailedAsync(child, newPid).ConfigureAwait(false);
                    return RollBack(source, reason);
                }

                // O7.
                try
                {
                    await channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Ack, Pid = Environment.ProcessId }).ConfigureAwait(false);
                }
                catch (IOException)
                {
                }
            }

            handedOver = true;
            var elapsed = _time.GetElapsedTime(started);
            Log.UpgradeReady(_logger, Environment.ProcessId, newPid, generation, Durations.Ms(elapsed));
            _state.TryTransition(LifecyclePhase.UpgradeDraining, $"pid {newPid} is serving; draining this process");

            // O8.
            _metrics.UpgradeFinished("ready");
            await LetKeepAliveConnectionsEndAsync(listeners).ConfigureAwait(false);
            _appLifetime.StopApplication();
            return new UpgradeResult(true, $"pid {newPid} (generation {generation}) is serving after {elapsed.TotalMilliseconds:0} ms; pid {Environment.ProcessId} is draining", newPid);
        }
        catch (Exception ex) when (!handedOver && _state.Phase is LifecyclePhase.UpgradeStarting or LifecyclePhase.HandingOff)
        {
            // Whatever failed (fds exhausted, the peer gone mid-send), never stay stuck half-way.
            return RollBack(source, $"unexpected error: {ex.Message}");
        }
        finally
        {
            if (!handedOver)
            {
                Volatile.Write(ref _busy, 0);
            }
        }
    }

    // Closing an idle keep-alive connection races a client that is just sending on it (nginx's
    // reload problem; wrk counts every such request as failed, since it never retries). So before
    // the drain closes idle connections: this process stops taking connections from the shared
    // queue (its listening fds leave its epoll set, so a pending accept never wakes; the socket is
    // untouched and the new process accepts everything), and every HTTP/1.1 response now carries
    // Connection: close (phase UpgradeDraining). Busy keep-alive connections thus end cleanly
    // after their next response; this waits, up to one second, until none is left idle.
    private async Task LetKeepAliveConnectionsEndAsync(IReadOnlyList<OwnedListener> listeners)
    {
        foreach (var l in listeners)
        {
            ListenSockets.RemoveFromEpoll(l.Fd);
        }

        var deadline = _time.GetTimestamp() + _time.TimestampFrequency;
        while (_tracker.Connections.Any(c => c.ActiveRequests == 0 && !c.IsHttp2 && !c.Listener.IsAdmin)
            && _time.GetTimestamp() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), _time).ConfigureAwait(false);
        }
    }

    private async Task<(bool Ready, string Reason)> WaitForReadyAsync(UpgradeChannel channel, ISpawnedProcess? child, int newPid, bool expectReceipt)
    {
        var timeout = _options.UpgradeTimeout;
        var started = _time.GetTimestamp();
        try
        {
            HandoffMessage? message;
            if (expectReceipt)
            {
                var first = FirstProgressTimeout < timeout ? FirstProgressTimeout : timeout;
                try
                {
                    (message, _) = await channel.ReceiveAsync(first).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    return (false, $"the new process (pid {newPid}) did not confirm within {first.TotalSeconds:0.#} s that it took the listeners; stopped it");
                }
            }
            else
            {
                (message, _) = await channel.ReceiveAsync(timeout).ConfigureAwait(false);
            }

            if (message?.Type == HandoffMessage.Received)
            {
                var left = timeout - _time.GetElapsedTime(started);
                (message, _) = await channel.ReceiveAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero).ConfigureAwait(false);
            }

            switch (message?.Type)
            {
                case HandoffMessage.Ready:
                    return (true, "");
                case HandoffMessage.Failed:
                    return (false, $"the new process (pid {newPid}) failed: {message.Reason}");
                case null:
                    var code = child is null ? null : await ExitCodeAsync(child).ConfigureAwait(false);
                    return (false, $"the new process (pid {newPid}) exited{(code is { } c ? $" with code {c}" : "")} before reporting ready");
                default:
                    return (false, $"the new process (pid {newPid}) sent '{message.Type}' instead of ready");
            }
        }
        catch (TimeoutException)
        {
            return (false, $"the new process (pid {newPid}) did not report ready within {timeout} (Lifecycle:UpgradeTimeout); killed it");
        }
        catch (InvalidDataException ex)
        {
            return (false, $"the new process (pid {newPid}) sent garbage: {ex.Message}");
        }
        catch (IOException ex)
        {
            return (false, $"the connection to the new process (pid {newPid}) failed: {ex.Message}");
        }
    }

    // A new process that is merely slow may already serve connections it accepted on the shared
    // sockets: ask it to stop gracefully first, and kill it only if it does not exit in time.
    private static async Task StopFailedAsync(ISpawnedProcess? child, int pid)
    {
        var grace = TimeSpan.FromSeconds(3);
        if (child is not null)
        {
            if (!child.Exited.IsCompleted)
            {
                child.Terminate();
                if (await Task.WhenAny(child.Exited, Task.Delay(grace)).ConfigureAwait(false) != child.Exited)
                {
                    child.Kill();
                }
            }

            return;
        }

        if (Processes.Signal(pid, Processes.SIGTERM))
        {
            var deadline = Environment.TickCount64 + (long)grace.TotalMilliseconds;
            while (Processes.IsAlive(pid) && Environment.TickCount64 < deadline)
            {
                await Task.Delay(20).ConfigureAwait(false);
            }

            Processes.Signal(pid, Processes.SIGKILL);
        }
    }

    private static async Task<int?> ExitCodeAsync(ISpawnedProcess child)
    {
        var winner = await Task.WhenAny(child.Exited, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        return winner == child.Exited ? await child.Exited.ConfigureAwait(false) : null;
    }

    private UpgradeResult Refuse(string source, string reason)
    {
        _metrics.UpgradeFinished("refused");
        Log.UpgradeRefused(_logger, source, reason);
        return new UpgradeResult(false, $"upgrade refused: {reason}", Refused: true);
    }

    private UpgradeResult RollBack(string source, string reason)
    {
        _state.TryTransition(LifecyclePhase.Running, "upgrade rolled back");
        _systemd.Notify("READY=1");
        _metrics.UpgradeFinished("rolled_back");
        Log.UpgradeRolledBack(_logger, source, reason);
        return new UpgradeResult(false, $"upgrade rolled back, still serving on pid {Environment.ProcessId}: {reason}");
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.UpgradeRequested, LogLevel.Information, "Upgrade requested by {Source}: pid {Pid}, generation {Generation} hands over its listeners", EventName = nameof(BatonEventIds.UpgradeRequested))]
        public static partial void UpgradeRequested(ILogger logger, string source, int pid, int generation);

        [LoggerMessage(BatonEventIds.ListenersHandedOff, LogLevel.Information, "Handed {Count} listener(s) ({Keys}) to pid {NewPid}; still serving until it reports ready", EventName = nameof(BatonEventIds.ListenersHandedOff))]
        public static partial void ListenersHandedOff(ILogger logger, int count, string keys, int newPid);

        [LoggerMessage(BatonEventIds.UpgradeReady, LogLevel.Information, "Upgrade ready: pid {NewPid} (generation {Generation}) serves after {ElapsedMs} ms; pid {OldPid} stops accepting and drains", EventName = nameof(BatonEventIds.UpgradeReady))]
        public static partial void UpgradeReady(ILogger logger, int oldPid, int newPid, int generation, double elapsedMs);

        [LoggerMessage(BatonEventIds.UpgradeRolledBack, LogLevel.Error, "UpgradeRolledBack ({Source}): {Reason}; still serving", EventName = nameof(BatonEventIds.UpgradeRolledBack))]
        public static partial void UpgradeRolledBack(ILogger logger, string source, string reason);

        [LoggerMessage(BatonEventIds.UpgradeRefused, LogLevel.Warning, "Upgrade refused ({Source}): {Reason}", EventName = nameof(BatonEventIds.UpgradeRefused))]
        public static partial void UpgradeRefused(ILogger logger, string source, string reason);
    }
}
