using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Handoff;
using Baton.Hosting.Interop;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting.Supervision;

/// <summary>
/// A thin parent that owns the listening sockets and supervises the serving process (HAProxy's
/// master-worker), for when the service's main process must never change — PID 1 of a container,
/// or <c>baton run --supervise</c>. Its pid never changes; workers come and go:
/// <list type="number">
/// <item>S1 the caller binds every listener into the <see cref="ListenerTable"/>;</item>
/// <item>S2 start a worker with the listeners inherited (the re-exec protocol, plus
/// <c>BATON_SUPERVISED=1</c>) and wait for its ready report;</item>
/// <item>S3 an upgrade (SIGQUIT to the supervisor, or a worker forwarding SIGQUIT or
/// <c>baton upgrade</c>) starts the next worker; once it is ready the old one is told to drain; if it
/// fails, it is killed and the old one keeps serving (the result goes back to whoever asked);</item>
/// <item>S4 a worker that dies unexpectedly is replaced at once — the listening sockets stay open
/// here, so connections wait in the backlog instead of being refused;</item>
/// <item>S5 SIGTERM/SIGINT go to the serving worker (a second one too: fast stop); the supervisor
/// exits with its exit code once every worker is gone.</item>
/// </list>
/// </summary>
internal sealed class Supervisor
{
    private readonly ListenerTable _table;
    private readonly IReadOnlyList<string> _workerCommand;
    private readonly LifecycleOptions _options;
    private readonly SystemdNotifier _systemd;
    private readonly ProcessLauncher _launcher;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Action> _events = Channel.CreateUnbounded<Action>(new() { SingleReader = true });
    private readonly List<Worker> _workers = new();
    private readonly HashSet<ISpawnedProcess> _toldToStop = new();
    private readonly CancellationTokenSource _stopping = new();
    private SupervisorPhase _phase = SupervisorPhase.Starting;
    private Worker? _current;
    private Starting? _starting;
    private int _generation;
    private int _restartAttempt;
    private int _exitCode;
    private int _pending;
    private string? _pidTemp;

    public Supervisor(ListenerTable table, IReadOnlyList<string> workerCommand, LifecycleOptions options, SystemdNotifier systemd, IUpgradeSpawner spawner, ILogger<Supervisor> logger, TimeProvider? time = null)
    {
        _table = table;
        _workerCommand = workerCommand;
        _options = options;
        _systemd = systemd;
        _launcher = new ProcessLauncher(spawner);
        _time = time ?? TimeProvider.System;
        _logger = logger;
    }

    /// <summary>The supervisor's phase (changes only on its event loop).</summary>
    public SupervisorPhase Phase => _phase;

    /// <summary>Runs until the last worker exits; returns the serving worker's exit code.</summary>
    public async Task<int> RunAsync()
    {
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => OnSignal(ctx, "SIGTERM", LifecycleIntent.GracefulStop, () => Stop("SIGTERM")));
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => OnSignal(ctx, "SIGINT", LifecycleIntent.GracefulStop, () => Stop("SIGINT")));
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, ctx => OnSignal(ctx, "SIGQUIT", LifecycleIntent.GracefulUpgrade, () => Upgrade("SIGQUIT", null)));
        using var usr2 = PosixSignalRegistration.Create((PosixSignal)Processes.SIGUSR2, ctx => OnSignal(ctx, "SIGUSR2", LifecycleIntent.GracefulUpgrade, () => Upgrade("SIGUSR2", null)));
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx => OnSignal(ctx, "SIGHUP", LifecycleIntent.Reload, () => Reload("SIGHUP")));
        int code = await RunLoopAsync().ConfigureAwait(false);
        LateSignals.IgnoreUntilExit();
        return code;
    }

    /// <summary>The event loop without signal registrations (tests post triggers with <see cref="Post"/>).</summary>
    internal async Task<int> RunLoopAsync()
    {
        // S1's fallible step: the PID file is prepared before any worker starts (committed once one serves).
        if (_options.PidFile is { Length: > 0 } pidFile)
        {
            try
            {
                _pidTemp = PidFile.Prepare(pidFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LifecycleLog.HandoffFailed(_logger, $"PID file {pidFile}: {ex.Message}; no worker started");
                _table.Dispose();
                return ExitCodes.Usage;
            }
        }

        // S2.
        BeginStart(requester: null);
        await foreach (var handle in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            Interlocked.Decrement(ref _pending);
            handle();
            if (_phase == SupervisorPhase.Stopped)
            {
                break;
            }
        }

        _table.Dispose();
        if (_pidTemp is { } never)
        {
            PidFile.Discard(never); // no worker ever served
        }
        else if (_options.PidFile is { Length: > 0 } written && PidFile.RemoveIfOurs(written))
        {
            LifecycleLog.PidFileRemoved(_logger, written, Environment.ProcessId);
        }

        return _exitCode;
    }

    /// <summary>Queues an event for the loop (signals, worker reports, exits).</summary>
    internal void Post(Action action)
    {
        Interlocked.Increment(ref _pending);
        if (!_events.Writer.TryWrite(action))
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Events queued and not yet handled (tests: an event is waiting behind another).</summary>
    internal int PendingEvents => Volatile.Read(ref _pending);

    /// <summary>SIGHUP: forwarded to the serving worker where the table says so.</summary>
    internal void Reload(string source) => Apply(SupervisorTrigger.Reload, source);

    /// <summary>Applies <paramref name="trigger"/> as it is (tests: a pair the table says cannot happen).</summary>
    internal SupervisorCell? Fire(SupervisorTrigger trigger, string source) => Apply(trigger, source);

    /// <summary>SIGTERM/SIGINT (S5): handled at once in every phase — nothing it waits behind.</summary>
    internal void Stop(string source) => Apply(SupervisorTrigger.Stop, source);

    /// <summary>SIGQUIT/SIGUSR2 or a worker's request (S3).</summary>
    internal void Upgrade(string source, Worker? requester)
    {
        var cell = Apply(SupervisorTrigger.Upgrade, source, requester);
        if (cell?.Action is not SupervisorAction.StartWorker)
        {
            var why = !_options.EnableZeroDowntime ? "upgrades are disabled; set Baton:Lifecycle:EnableZeroDowntime to true" : cell?.Outcome ?? $"phase {_phase}";
            LifecycleLog.UpgradeRefused(_logger, source, why);
            _ = ReplyAsync(requester, false, $"upgrade refused: {why}", 0, refused: true);
        }
    }

    private void OnSignal(PosixSignalContext context, string name, LifecycleIntent intent, Action action)
    {
        context.Cancel = true;
        LifecycleLog.SignalReceived(_logger, name, intent);
        Post(action);
    }

    /// <summary>Raised on the loop after each trigger was applied, with its cell (null: refused or cannot happen). Tests wait on it.</summary>
    internal event Action<SupervisorTrigger, SupervisorCell?>? Applied;

    private SupervisorCell? Apply(SupervisorTrigger trigger, string source, Worker? requester = null, int exitCode = 0)
    {
        var cell = ApplyCell(trigger, source, requester, exitCode);
        Applied?.Invoke(trigger, cell);
        return cell;
    }

    private SupervisorCell? ApplyCell(SupervisorTrigger trigger, string source, Worker? requester, int exitCode)
    {
        if (trigger == SupervisorTrigger.Upgrade && !_options.EnableZeroDowntime)
        {
            return null;
        }

        var previous = _phase;
        var cell = SupervisorTable.Find(previous, trigger);
        if (cell is null)
        {
            LifecycleLog.IllegalTrigger(_logger, trigger, previous, source);
            return null;
        }

        if (cell.Next != previous)
        {
            _phase = cell.Next;
            LifecycleLog.SupervisorPhaseChanged(_logger, previous, cell.Next, source);
            if (cell.Next == SupervisorPhase.Stopping)
            {
                BeginStopping();
            }
        }
        else if (cell.Action is SupervisorAction.Ignore or SupervisorAction.Refuse)
        {
            LifecycleLog.TriggerNotApplied(_logger, trigger, previous, source, cell.Outcome);
        }

        switch (cell.Action)
        {
            case SupervisorAction.StartWorker:
                if (trigger == SupervisorTrigger.Upgrade)
                {
                    LifecycleLog.UpgradeRequested(_logger, source, _current?.Pid ?? 0, _generation, "will be replaced by a new worker");
                    _systemd.Reloading();
                }
                else
                {
                    LifecycleLog.WorkerDied(_logger, _current?.Pid ?? 0, exitCode);
                    _current = null;
                }

                BeginStart(requester);
                break;
            case SupervisorAction.RetryStart:
                var delay = TimeSpan.FromSeconds(Math.Min(30, ++_restartAttempt));
                _ = RetryAfterAsync(delay);
                break;
            case SupervisorAction.Forward:
                if (trigger == SupervisorTrigger.Reload)
                {
                    _current?.Process.Reload();
                }
                else
                {
                    // A second stop: every worker is told again (it stops fast).
                    foreach (var w in _workers)
                    {
                        _toldToStop.Add(w.Process);
                        w.Process.Terminate();
                    }
                }

                break;
            case SupervisorAction.StopWorkers:
                foreach (var w in _workers)
                {
                    TellToStop(w.Process);
                }

                if (_starting is { } starting)
                {
                    TellToStop(starting.Launched.Process);
                }

                ExitIfNoWorkers();
                break;
            case SupervisorAction.Exit:
                break;
        }

        return cell;
    }

    // The service stops: systemd hears STOPPING=1 once, and every wait (a worker's report, a
    // restart's backoff) ends now instead of holding the stop.
    private void BeginStopping()
    {
        _systemd.Stopping();
        _stopping.Cancel();
    }

    // SIGTERM once per worker: a second one would make it stop fast (see the Forward action).
    private void TellToStop(ISpawnedProcess process)
    {
        if (_toldToStop.Add(process))
        {
            process.Terminate();
        }
    }

    private async Task RetryAfterAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _time, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // the service is stopping
        }

        Post(() =>
        {
            if (_phase == SupervisorPhase.Restarting)
            {
                BeginStart(requester: null);
            }
        });
    }

    // Starts a worker and waits for its report off the loop: the loop stays free for signals.
    private void BeginStart(Worker? requester)
    {
        int generation = ++_generation;
        var listeners = _table.Listeners.Where(l => !l.IsClosed).ToList();
        Launched launched;
        try
        {
            launched = _launcher.Spawn(_workerCommand, listeners, generation, new Dictionary<string, string> { [ListenFdsVariable.SupervisedName] = "1" });
        }
        catch (LaunchException ex)
        {
            var reason = $"cannot start a worker: {ex.Message}";
            Post(() => StartFailed(requester, reason));
            return;
        }

        var starting = new Starting(launched, generation, requester, _time.GetTimestamp());
        _starting = starting;
        _ = WaitForReportAsync(starting);
    }

    private async Task WaitForReportAsync(Starting starting)
    {
        var process = starting.Launched.Process;
        var report = await ProcessLauncher.WaitForReportAsync(starting.Launched.Channel, process, $"worker pid {process.Pid}", _options.UpgradeTimeout, cancellationToken: _stopping.Token).ConfigureAwait(false);
        if (report.IsReady)
        {
            Post(() => Ready(starting));
            return;
        }

        if (report.Outcome == LaunchOutcome.Cancelled)
        {
            // Stopping: it was sent SIGTERM; it counts as a worker until it exits.
            Post(() =>
            {
                if (_starting == starting)
                {
                    _starting = null;
                }

                Track(new Worker(process, starting.Launched.Channel, starting.Generation));
            });
            return;
        }

        await ProcessLauncher.StopAsync(process, process.Pid).ConfigureAwait(false);
        process.Dispose();
        starting.Launched.Channel.Dispose();
        Post(() => StartFailed(starting.Requester, report.Reason));
    }

    private void Ready(Starting starting)
    {
        if (_starting == starting)
        {
            _starting = null;
        }

        var worker = new Worker(starting.Launched.Process, starting.Launched.Channel, starting.Generation);
        Track(worker);
        var previous = _current;
        var cell = Apply(SupervisorTrigger.WorkerReady, $"worker pid {worker.Pid}");
        if (cell?.Action == SupervisorAction.StopWorkers || _phase is SupervisorPhase.Stopping or SupervisorPhase.Stopped)
        {
            TellToStop(worker.Process);
            return;
        }

        _current = worker;
        _restartAttempt = 0;
        _systemd.Ready();
        if (cell?.Action == SupervisorAction.DrainPrevious && previous is not null)
        {
            LifecycleLog.UpgradeReady(_logger, previous.Pid, worker.Pid, worker.Generation, Durations.Ms(_time.GetElapsedTime(starting.Started)));
            _ = ReplyAsync(starting.Requester, true, $"pid {worker.Pid} (generation {worker.Generation}) is serving; pid {previous.Pid} is draining", worker.Pid);
            _ = TrySendAsync(previous, new HandoffMessage { Type = HandoffMessage.Drain, Pid = worker.Pid });
        }
        else if (previous is null && worker.Generation == 1)
        {
            LifecycleLog.SupervisorStarted(_logger, Environment.ProcessId, worker.Pid);
            WritePidFile();
        }
        else
        {
            // A replacement after a death, or an upgrade whose serving worker died meanwhile.
            _ = ReplyAsync(starting.Requester, true, $"pid {worker.Pid} (generation {worker.Generation}) is serving", worker.Pid);
        }
    }

    private void StartFailed(Worker? requester, string reason)
    {
        _starting = null;
        var before = _phase;
        var cell = Apply(SupervisorTrigger.WorkerFailed, reason);
        switch (before)
        {
            case SupervisorPhase.Starting:
                LifecycleLog.HandoffFailed(_logger, reason);
                _exitCode = ExitCodes.Error;
                break;
            case SupervisorPhase.Upgrading:
                LifecycleLog.UpgradeRolledBack(_logger, requester is null ? "SIGQUIT" : $"worker pid {requester.Pid}", reason, null);
                _systemd.Ready();
                _ = ReplyAsync(requester, false, $"upgrade rolled back, still serving on pid {_current?.Pid}: {reason}", 0);
                if (_current is null && cell is not null)
                {
                    // The serving worker died during the upgrade: replace it.
                    Apply(SupervisorTrigger.WorkerDied, reason);
                }

                break;
            default:
                LifecycleLog.HandoffFailed(_logger, reason);
                _exitCode = ExitCodes.Error; // no worker serves: a stop now ends with an error
                break;
        }

        ExitIfNoWorkers(); // stopping, and the failed worker was the last one waited for
    }

    private void Track(Worker worker)
    {
        _workers.Add(worker);
        _ = ReadWorkerAsync(worker);
        _ = worker.Process.Exited.ContinueWith(t => Post(() => Exited(worker, t.Result)), TaskScheduler.Default);
    }

    // S4.
    private void Exited(Worker worker, int code)
    {
        _workers.Remove(worker);
        worker.Channel.Dispose();
        if (worker == _current)
        {
            _exitCode = code;
            Apply(SupervisorTrigger.WorkerDied, $"worker pid {worker.Pid} exited with {code}", exitCode: code);
            if (_phase == SupervisorPhase.Upgrading)
            {
                _current = null;
            }
        }

        ExitIfNoWorkers();
    }

    private void ExitIfNoWorkers()
    {
        if (_phase == SupervisorPhase.Stopping && _workers.Count == 0 && _starting is null)
        {
            Apply(SupervisorTrigger.LastWorkerGone, "every worker is gone");
        }
    }

    private void WritePidFile()
    {
        if (_options.PidFile is { Length: > 0 } pidFile && _pidTemp is { } temp)
        {
            _pidTemp = null;
            try
            {
                PidFile.Commit(temp, pidFile);
                LifecycleLog.PidFileWritten(_logger, pidFile, Environment.ProcessId);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A rename in the directory that took the temp file: the service serves on without it.
                PidFile.Discard(temp);
                LifecycleLog.HandoffFailed(_logger, $"PID file {pidFile}: {ex.Message}; serving without it");
            }
        }
    }

    private async Task ReadWorkerAsync(Worker worker)
    {
        while (true)
        {
            HandoffMessage? message;
            try
            {
                List<int> fds;
                (message, fds) = await worker.Channel.ReceiveAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false);
                foreach (var fd in fds)
                {
                    ListenSockets.Close(fd); // no worker message carries fds
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or ObjectDisposedException)
            {
                return;
            }

            switch (message?.Type)
            {
                case null:
                    return;
                case HandoffMessage.Upgrade:
                    Post(() => Upgrade(message.Reason ?? $"worker pid {worker.Pid}", worker));
                    break;
                case HandoffMessage.Stopping:
                    Post(() =>
                    {
                        if (worker == _current)
                        {
                            _toldToStop.Add(worker.Process); // it stops already: no SIGTERM on top (that would be a fast stop)
                            Apply(SupervisorTrigger.WorkerStopping, $"worker pid {worker.Pid}: {message.Reason}");
                        }
                    });
                    break;
            }
        }
    }

    private static Task ReplyAsync(Worker? requester, bool ok, string reason, int pid, bool refused = false)
        => requester is null ? Task.CompletedTask : TrySendAsync(requester, new HandoffMessage { Type = HandoffMessage.Result, Succeeded = ok, IsRefusal = refused, Reason = reason, Pid = pid });

    private static async Task TrySendAsync(Worker worker, HandoffMessage message)
    {
        try
        {
            await worker.Channel.SendAsync(message).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
    }

    internal sealed record Worker(ISpawnedProcess Process, UpgradeChannel Channel, int Generation)
    {
        public int Pid => Process.Pid;
    }

    private sealed record Starting(Launched Launched, int Generation, Worker? Requester, long Started);
}
