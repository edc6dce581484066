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
public sealed partial class Supervisor
{
    private readonly ListenerTable _table;
    private readonly IReadOnlyList<string> _workerCommand;
    private readonly LifecycleOptions _options;
    private readonly SystemdNotifier _systemd;
    private readonly IUpgradeSpawner _spawner;
    private readonly ILogger _logger;
    private readonly Channel<Func<Task>> _events = Channel.CreateUnbounded<Func<Task>>(new() { SingleReader = true });
    private readonly List<Worker> _workers = new();
    private Worker? _current;
    private int _generation;
    private bool _stopping;
    private int _exitCode;

    public Supervisor(ListenerTable table, IReadOnlyList<string> workerCommand, LifecycleOptions options, SystemdNotifier systemd, IUpgradeSpawner spawner, ILogger<Supervisor> logger)
    {
        _table = table;
        _workerCommand = workerCommand;
        _options = options;
        _systemd = systemd;
        _spawner = spawner;
        _logger = logger;
    }

    /// <summary>Runs until the last worker exits; returns the serving worker's exit code.</summary>
    public async Task<int> RunAsync()
    {
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => OnSignal(ctx, "SIGTERM", () => StopAsync(Processes.SIGTERM)));
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => OnSignal(ctx, "SIGINT", () => StopAsync(Processes.SIGTERM)));
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, ctx => OnSignal(ctx, "SIGQUIT", () => UpgradeAsync("SIGQUIT", null)));
        using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx => OnSignal(ctx, "SIGHUP", () => ForwardAsync(1)));

        // S2.
        var (first, reason) = await StartWorkerAsync().ConfigureAwait(false);
        if (first is null)
        {
            Log.WorkerFailed(_logger, reason);
            return ExitCodes.Error;
        }

        _current = first;
        Log.Supervising(_logger, Environment.ProcessId, first.Pid);
        if (_options.PidFile is { } pidFile)
        {
            PidFile.Write(pidFile);
        }

        _systemd.Notify("READY=1");
        await foreach (var handle in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            await handle().ConfigureAwait(false);
            if (_stopping && _workers.Count == 0)
            {
                break;
            }
        }

        _table.Dispose();
        if (_options.PidFile is { } written)
        {
            PidFile.RemoveIfOurs(written);
        }

        return _exitCode;
    }

    private void OnSignal(PosixSignalContext context, string name, Func<Task> action)
    {
        context.Cancel = true;
        Log.Signal(_logger, name);
        _events.Writer.TryWrite(action);
    }

    // S3.
    private async Task UpgradeAsync(string source, Worker? requester)
    {
        var old = _current;
        if (_stopping || old is null || !_options.EnableZeroDowntime)
        {
            var why = _options.EnableZeroDowntime ? "the supervisor is stopping" : "upgrades are disabled; set Baton:Lifecycle:EnableZeroDowntime to true";
            Log.UpgradeRefused(_logger, source, why);
            await ReplyAsync(requester, false, $"upgrade refused: {why}", 0, refused: true).ConfigureAwait(false);
            return;
        }

        Log.UpgradeRequested(_logger, source, old.Pid, _generation);
        _systemd.NotifyReloading();
        var (next, reason) = await StartWorkerAsync().ConfigureAwait(false);
        if (next is null)
        {
            Log.UpgradeRolledBack(_logger, source, reason);
            _systemd.Notify("READY=1");
            await ReplyAsync(requester, false, $"upgrade rolled back, still serving on pid {old.Pid}: {reason}", 0).ConfigureAwait(false);
            return;
        }

        _current = next;
        Log.UpgradeReady(_logger, old.Pid, next.Pid, next.Generation);
        _systemd.Notify("READY=1");
        await ReplyAsync(requester, true, $"pid {next.Pid} (generation {next.Generation}) is serving; pid {old.Pid} is draining", next.Pid).ConfigureAwait(false);
        await TrySendAsync(old, new HandoffMessage { Type = HandoffMessage.Drain, Pid = next.Pid }).ConfigureAwait(false);
    }

    // S4.
    private async Task WorkerExitedAsync(Worker worker, int code)
    {
        _workers.Remove(worker);
        worker.Channel.Dispose();
        if (worker != _current)
        {
            return;
        }

        if (_stopping)
        {
            _exitCode = code;
            return;
        }

        Log.WorkerDied(_logger, worker.Pid, code);
        for (int attempt = 1; !_stopping; attempt++)
        {
            var (next, reason) = await StartWorkerAsync().ConfigureAwait(false);
            if (next is not null)
            {
                _current = next;
                return;
            }

            Log.WorkerFailed(_logger, reason);
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt))).ConfigureAwait(false);
        }
    }

    // S5.
    private Task StopAsync(int signal)
    {
        _stopping = true;
        _systemd.Notify("STOPPING=1");
        if (_current is { } current)
        {
            Processes.Signal(current.Pid, signal);
        }

        return Task.CompletedTask;
    }

    private Task ForwardAsync(int signal)
    {
        if (_current is { } current)
        {
            Processes.Signal(current.Pid, signal);
        }

        return Task.CompletedTask;
    }

    private async Task<(Worker? Worker, string Reason)> StartWorkerAsync()
    {
        int generation = ++_generation;
        var listeners = _table.Listeners.Where(l => !l.IsClosed).ToList();
        var (mine, theirs) = SocketPairs.Create();
        var channel = new UpgradeChannel(SocketPairs.Adopt(mine));
        ISpawnedProcess process;
        try
        {
            var environment = ListenFdsVariable.EnvironmentFor(listeners, theirs, generation);
            environment[ListenFdsVariable.SupervisedName] = "1";
            process = _spawner.Spawn(_workerCommand, environment, ListenFdsVariable.InheritedFds(listeners, theirs));
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            channel.Dispose();
            return (null, $"cannot start a worker: {ex.Message}");
        }
        finally
        {
            ListenSockets.Close(theirs);
        }

        string reason;
        try
        {
            var (message, _) = await channel.ReceiveAsync(_options.UpgradeTimeout).ConfigureAwait(false);
            reason = message?.Type switch
            {
                HandoffMessage.Ready => "",
                HandoffMessage.Failed => $"worker pid {process.Pid} failed: {message.Reason}",
                null => $"worker pid {process.Pid} exited before reporting ready",
                _ => $"worker pid {process.Pid} sent '{message.Type}' instead of ready",
            };
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidDataException or IOException)
        {
            reason = $"worker pid {process.Pid}: {ex.Message}";
        }

        if (reason.Length > 0)
        {
            process.Kill();
            process.Dispose();
            channel.Dispose();
            return (null, reason);
        }

        var worker = new Worker(process, channel, generation);
        _workers.Add(worker);
        _ = ReadWorkerAsync(worker);
        _ = process.Exited.ContinueWith(t => _events.Writer.TryWrite(() => WorkerExitedAsync(worker, t.Result)), TaskScheduler.Default);
        return (worker, "");
    }

    private async Task ReadWorkerAsync(Worker worker)
    {
        while (true)
        {
            HandoffMessage? message;
            try
            {
                (message, _) = await worker.Channel.ReceiveAsync(TimeSpan.FromDays(1)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                continue;
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or ObjectDisposedException)
            {
                return;
            }

            if (message is null)
            {
                return;
            }

            if (message.Type == HandoffMessage.Upgrade)
            {
                _events.Writer.TryWrite(() => UpgradeAsync(message.Reason ?? $"worker pid {worker.Pid}", worker));
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
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    private sealed record Worker(ISpawnedProcess Process, UpgradeChannel Channel, int Generation)
    {
        public int Pid => Process.Pid;
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.SupervisorStarted, LogLevel.Information, "Supervisor pid {Pid} holds the listeners; worker pid {WorkerPid} serves", EventName = nameof(BatonEventIds.SupervisorStarted))]
        public static partial void Supervising(ILogger logger, int pid, int workerPid);

        [LoggerMessage(BatonEventIds.SignalReceived, LogLevel.Information, "Supervisor: {Signal} received", EventName = nameof(BatonEventIds.SignalReceived))]
        public static partial void Signal(ILogger logger, string signal);

        [LoggerMessage(BatonEventIds.UpgradeRequested, LogLevel.Information, "Supervisor: upgrade requested by {Source}: worker pid {Pid}, generation {Generation} will be replaced", EventName = nameof(BatonEventIds.UpgradeRequested))]
        public static partial void UpgradeRequested(ILogger logger, string source, int pid, int generation);

        [LoggerMessage(BatonEventIds.UpgradeReady, LogLevel.Information, "Upgrade ready: pid {NewPid} (generation {Generation}) serves; pid {OldPid} stops accepting and drains", EventName = nameof(BatonEventIds.UpgradeReady))]
        public static partial void UpgradeReady(ILogger logger, int oldPid, int newPid, int generation);

        [LoggerMessage(BatonEventIds.UpgradeRolledBack, LogLevel.Error, "UpgradeRolledBack ({Source}): {Reason}; still serving", EventName = nameof(BatonEventIds.UpgradeRolledBack))]
        public static partial void UpgradeRolledBack(ILogger logger, string source, string reason);

        [LoggerMessage(BatonEventIds.UpgradeRefused, LogLevel.Warning, "Upgrade refused ({Source}): {Reason}", EventName = nameof(BatonEventIds.UpgradeRefused))]
        public static partial void UpgradeRefused(ILogger logger, string source, string reason);

        [LoggerMessage(BatonEventIds.WorkerDied, LogLevel.Error, "Worker pid {Pid} exited unexpectedly with {ExitCode}; starting a new one on the same listening sockets", EventName = nameof(BatonEventIds.WorkerDied))]
        public static partial void WorkerDied(ILogger logger, int pid, int exitCode);

        [LoggerMessage(BatonEventIds.HandoffFailed, LogLevel.Error, "Supervisor: {Reason}", EventName = nameof(BatonEventIds.HandoffFailed))]
        public static partial void WorkerFailed(ILogger logger, string reason);
    }
}
