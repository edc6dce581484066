using Baton.Hosting.Interop;

namespace Baton.Hosting.Handoff;

/// <summary>How the start of a new process (an upgrade's, or a supervisor's worker) ended.</summary>
public enum LaunchOutcome
{
    /// <summary>It reported ready.</summary>
    Ready,

    /// <summary>It reported failed, with its reason (a config error, say).</summary>
    Failed,

    /// <summary>It exited (or closed its channel) without a report.</summary>
    Exited,

    /// <summary>It said nothing within the timeout (hung).</summary>
    TimedOut,

    /// <summary>It sent something that is not a message of the protocol, or not the report.</summary>
    Garbage,

    /// <summary>The channel to it failed.</summary>
    ChannelBroken,

    /// <summary>It could not be started at all.</summary>
    SpawnFailed,

    /// <summary>The wait was cancelled (the service is stopping).</summary>
    Cancelled,
}

/// <summary>The classified report of a new process: <paramref name="Outcome"/> and a one-line <paramref name="Reason"/> (empty when ready).</summary>
internal sealed record LaunchReport(LaunchOutcome Outcome, string Reason)
{
    public bool IsReady => Outcome == LaunchOutcome.Ready;
}

/// <summary>A process the launcher started, with its end of the channel.</summary>
internal sealed record Launched(ISpawnedProcess Process, UpgradeChannel Channel);

/// <summary>
/// The one launcher of new Baton processes, shared by the re-exec upgrade and the supervisor:
/// spawn with exactly the listeners and a channel inherited, wait for the report, classify it into
/// one <see cref="LaunchOutcome"/>, and stop a process that failed (gracefully first). (Fds that
/// arrive with a report are closed by the channel: only the <c>listeners</c> message carries fds.)
/// </summary>
internal sealed class ProcessLauncher
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);
    private readonly IUpgradeSpawner _spawner;

    public ProcessLauncher(IUpgradeSpawner spawner) => _spawner = spawner;

    /// <summary>Starts <paramref name="command"/> inheriting <paramref name="listeners"/> and a new channel.</summary>
    /// <exception cref="LaunchException">It could not be started (the reason says why).</exception>
    public Launched Spawn(IReadOnlyList<string> command, IReadOnlyList<OwnedListener> listeners, int generation, IReadOnlyDictionary<string, string>? extra = null)
    {
        var (mine, theirs) = SocketPairs.Create();
        var channel = new UpgradeChannel(SocketPairs.Adopt(mine));
        try
        {
            var environment = ListenFdsVariable.EnvironmentFor(listeners, theirs, generation);
            foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            {
                environment[key] = value;
            }

            return new Launched(_spawner.Spawn(command, environment, ListenFdsVariable.InheritedFds(listeners, theirs)), channel);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            channel.Dispose();
            throw new LaunchException(ex.Message);
        }
        finally
        {
            ListenSockets.Close(theirs);
        }
    }

    /// <summary>
    /// Waits for the report of <paramref name="who"/> (e.g. "the new process (pid 42)") on
    /// <paramref name="channel"/>; <paramref name="child"/>, when this process started it, gives the exit code.
    /// </summary>
    /// <param name="channel">The channel to it.</param>
    /// <param name="child">The process, when this one started it (for its exit code).</param>
    /// <param name="who">How the reasons name it.</param>
    /// <param name="timeout">The whole wait (<c>UpgradeTimeout</c>).</param>
    /// <param name="expectReceipt">
    /// For a peer of the upgrade socket: it must say <see cref="HandoffMessage.Received"/> within
    /// this (capped by <paramref name="timeout"/>), so that a silent peer is stopped early.
    /// </param>
    /// <param name="cancellationToken">Ends the wait (the service is stopping).</param>
    public static async Task<LaunchReport> WaitForReportAsync(UpgradeChannel channel, ISpawnedProcess? child, string who, TimeSpan timeout,
        TimeSpan? expectReceipt = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            HandoffMessage? message;
            if (expectReceipt is { } receipt)
            {
                var first = receipt < timeout ? receipt : timeout;
                try
                {
                    (message, _) = await channel.ReceiveAsync(first, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    return new LaunchReport(LaunchOutcome.TimedOut, $"{who} did not confirm within {first.TotalSeconds:0.#} s that it took the listeners; stopped it");
                }
            }
            else
            {
                (message, _) = await channel.ReceiveAsync(timeout, cancellationToken).ConfigureAwait(false);
            }

            if (message?.Type == HandoffMessage.Received)
            {
                var left = timeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
                (message, _) = await channel.ReceiveAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }

            switch (message?.Type)
            {
                case HandoffMessage.Ready:
                    return new LaunchReport(LaunchOutcome.Ready, "");
                case HandoffMessage.Failed:
                    return new LaunchReport(LaunchOutcome.Failed, $"{who} failed: {message.Reason}");
                case null:
                    var code = child is null ? null : await ExitCodeAsync(child).ConfigureAwait(false);
                    return new LaunchReport(LaunchOutcome.Exited, $"{who} exited{(code is { } c ? $" with code {c}" : "")} before reporting ready");
                default:
                    return new LaunchReport(LaunchOutcome.Garbage, $"{who} sent '{message.Type}' instead of ready");
            }
        }
        catch (OperationCanceledException)
        {
            return new LaunchReport(LaunchOutcome.Cancelled, $"{who}: stopped waiting for its report (stopping)");
        }
        catch (TimeoutException)
        {
            return new LaunchReport(LaunchOutcome.TimedOut, $"{who} did not report ready within {timeout} (Lifecycle:UpgradeTimeout); killed it");
        }
        catch (InvalidDataException ex)
        {
            return new LaunchReport(LaunchOutcome.Garbage, $"{who} sent garbage: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            return new LaunchReport(LaunchOutcome.ChannelBroken, $"the connection to {who} failed: {ex.Message}");
        }
    }

    /// <summary>
    /// Stops a process that failed. A merely slow one may already serve connections it accepted on
    /// the shared sockets: SIGTERM first, SIGKILL only if it does not exit within 3 s.
    /// </summary>
    /// <returns>True when it is known to be gone (so no other process holds the listeners any more).</returns>
    public static async Task<bool> StopAsync(ISpawnedProcess? child, int pid)
    {
        if (child is not null)
        {
            if (!child.Exited.IsCompleted)
            {
                child.Terminate();
                if (await Task.WhenAny(child.Exited, Task.Delay(StopGrace)).ConfigureAwait(false) != child.Exited)
                {
                    child.Kill();
                    await Task.WhenAny(child.Exited, Task.Delay(StopGrace)).ConfigureAwait(false);
                }
            }

            return child.Exited.IsCompleted;
        }

        if (Processes.Signal(pid, Processes.SIGTERM))
        {
            if (!await WaitGoneAsync(pid).ConfigureAwait(false))
            {
                Processes.Signal(pid, Processes.SIGKILL);
                return await WaitGoneAsync(pid).ConfigureAwait(false);
            }
        }

        return !Processes.IsAlive(pid);
    }

    private static async Task<bool> WaitGoneAsync(int pid)
    {
        var deadline = Environment.TickCount64 + (long)StopGrace.TotalMilliseconds;
        while (Processes.IsAlive(pid) && Environment.TickCount64 < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        return !Processes.IsAlive(pid);
    }

    private static async Task<int?> ExitCodeAsync(ISpawnedProcess child)
    {
        var winner = await Task.WhenAny(child.Exited, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        return winner == child.Exited ? await child.Exited.ConfigureAwait(false) : null;
    }
}

/// <summary>A new process could not be started.</summary>
internal sealed class LaunchException(string message) : Exception(message);
