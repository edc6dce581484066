using Baton.Hosting.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Hosting.Lifecycle;

/// <summary>
/// The default <see cref="ILifecycleController"/> and the one place that applies the lifecycle's
/// transition table: every signal, control request and upgrade event becomes a
/// <see cref="LifecycleTrigger"/>, <see cref="LifecycleState.Fire"/> finds its cell in
/// <see cref="LifecycleTable"/>, and this class performs the cell's <see cref="LifecycleAction"/>.
/// A graceful stop runs in named steps:
/// <list type="number">
/// <item>withdraw readiness (phase <see cref="LifecyclePhase.GracePeriod"/>) while serving normally;</item>
/// <item>after <see cref="LifecycleOptions.ShutdownGracePeriod"/>, stop the application: the server unbinds
/// and the <see cref="Draining.DrainCoordinator"/> drains;</item>
/// <item>a second stop signal cancels what is left of the grace period and aborts soon (fast stop).</item>
/// </list>
/// A stop that arrives while starting or during an upgrade is deferred until that has a result.
/// </summary>
internal sealed partial class ShutdownCoordinator : ILifecycleController
{
    private readonly LifecycleState _state;
    private readonly IHostApplicationLifetime _appLifetime;
    private readonly IServiceProvider _services;
    private readonly LifecycleOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _graceCancelled = new();
    private readonly TaskCompletionSource _drainBegun = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stopSignals;

    public ShutdownCoordinator(LifecycleState state, IHostApplicationLifetime appLifetime, IServiceProvider services,
        IOptions<LifecycleOptions> options, TimeProvider time, ILogger<ShutdownCoordinator> logger)
    {
        _state = state;
        _appLifetime = appLifetime;
        _services = services;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised when a fast stop is requested (the drain shortens its deadline).</summary>
    public event Action? FastStopRequested;

    /// <summary>The phase machine this controller drives.</summary>
    public LifecycleState State => _state;

    public void Request(LifecycleIntent intent, string source, bool fromSignal = false)
    {
        switch (intent)
        {
            case LifecycleIntent.GracefulStop:
                // Only a second *signal* forces a fast stop: preStop followed by the kubelet's
                // SIGTERM is one orderly stop, and so is SIGTERM to an old generation already draining.
                bool second = fromSignal && Interlocked.Increment(ref _stopSignals) > 1;
                _ = ApplyAsync(second ? LifecycleTrigger.StopAgain : LifecycleTrigger.Stop, source);
                break;
            case LifecycleIntent.FastStop:
                _ = ApplyAsync(LifecycleTrigger.StopAgain, source);
                break;
            case LifecycleIntent.Reload:
                _ = ApplyAsync(LifecycleTrigger.Reload, source);
                break;
            case LifecycleIntent.GracefulUpgrade:
                if (_services.GetService<IUpgradeHandler>() is { } upgrade)
                {
                    _ = RunUpgradeAsync(upgrade, source);
                }
                else
                {
                    Log.UpgradeDisabled(_logger, source);
                }

                break;
        }
    }

    public async Task PreStopAsync(CancellationToken cancellationToken)
    {
        await ApplyAsync(LifecycleTrigger.Stop, "prestop").ConfigureAwait(false);
        await _drainBegun.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets or clears the operator's unhealthy mark (<c>/healthcheck/fail</c>, <c>/healthcheck/pass</c>).</summary>
    public void MarkHealth(bool unhealthy, string source)
    {
        if (_state.Fire(LifecycleTrigger.MarkHealth, source)?.Action == LifecycleAction.MarkHealth)
        {
            _state.SetUnhealthy(unhealthy);
        }
    }

    /// <summary>
    /// Fires <paramref name="trigger"/> and performs its cell's action; completes when the action
    /// did (a grace period runs on in the background).
    /// </summary>
    /// <returns>The cell that applied; null when the trigger cannot happen in this phase (a bug, logged).</returns>
    /// <param name="trigger">What happened.</param>
    /// <param name="source">Where it came from, for the logs.</param>
    /// <param name="applied">Called after the phase changed and before the action (say, to log a rollback before a deferred stop runs).</param>
    public async Task<LifecycleCell?> ApplyAsync(LifecycleTrigger trigger, string source, Action<LifecycleCell>? applied = null)
    {
        var cell = _state.Fire(trigger, source);
        if (cell is null)
        {
            return null;
        }

        applied?.Invoke(cell);
        switch (cell.Action)
        {
            case LifecycleAction.StartGracePeriod:
                NotifyStopBegan(source);
                _ = GracePeriodAsync(source);
                break;
            case LifecycleAction.FastStop:
                NotifyStopBegan(source);
                Log.FastStop(_logger, source, Durations.Ms(_options.FastStopTimeout));
                _graceCancelled.Cancel();
                FastStopRequested?.Invoke();
                StopApplication();
                break;
            case LifecycleAction.Reload:
                if (_services.GetService<IReloadHandler>() is { } reload)
                {
                    reload.Reload(source);
                }
                else
                {
                    Log.SignalIgnored(_logger, source, "no configuration reload is wired in this host");
                }

                break;
            case LifecycleAction.StopApplication:
                if (cell.Next == LifecyclePhase.UpgradeDraining && _services.GetService<IHandOverStep>() is { } handOver)
                {
                    await handOver.BeforeDrainAsync().ConfigureAwait(false);
                }

                StopApplication();
                break;
            case LifecycleAction.RollBack:
            case LifecycleAction.None when trigger == LifecycleTrigger.Listening:
                // A stop that waited for the upgrade's (or the start-up's) result runs now.
                if (_state.TakeDeferredStop() is { } deferred)
                {
                    await ApplyAsync(LifecycleTrigger.Stop, $"{deferred} (deferred)").ConfigureAwait(false);
                }

                break;
        }

        if (cell.Next == LifecyclePhase.UpgradeDraining && _state.TakeDeferredStop() is { } satisfied)
        {
            Log.SignalIgnored(_logger, satisfied, "the upgrade completed: this process drains and exits, the new one serves");
        }

        return cell;
    }

    // Named operations: what the host, the drain and the upgrade tell the lifecycle.

    /// <summary>The host listens: Starting → Running (or a stop deferred meanwhile runs now).</summary>
    public Task ListeningAsync() => ApplyAsync(LifecycleTrigger.Listening, "listeners accepting");

    /// <summary>The host began stopping: the drain begins.</summary>
    public void DrainStarted() => _state.Fire(LifecycleTrigger.DrainStarted, "listeners closing; in-flight requests finish");

    /// <summary>Everything drained or was aborted.</summary>
    public void Drained(string reason) => _state.Fire(LifecycleTrigger.Drained, reason);

    /// <summary>
    /// Asks to begin an upgrade (O2). True when this process entered UpgradeStarting; otherwise
    /// <paramref name="refusal"/> says why not (an upgrade running, stopping, still starting).
    /// </summary>
    public bool TryBeginUpgrade(string source, out string refusal)
    {
        var cell = _state.Fire(LifecycleTrigger.Upgrade, source);
        refusal = cell?.Outcome ?? $"an upgrade cannot start in phase {_state.Phase}";
        return cell?.Action == LifecycleAction.StartUpgrade;
    }

    /// <summary>The new process holds the listeners (O4).</summary>
    public void HandedOver(string reason) => _state.Fire(LifecycleTrigger.HandedOver, reason);

    /// <summary>The new process is ready (O7): this one stops accepting and drains (unless it is aborting anyway).</summary>
    public Task SuccessorReadyAsync(string reason) => ApplyAsync(LifecycleTrigger.SuccessorReady, reason);

    /// <summary>The upgrade failed (O6): serve on (or go on aborting); a deferred stop then runs.</summary>
    /// <returns>True when this process serves again (the upgrade was rolled back).</returns>
    public async Task<bool> SuccessorFailedAsync(string reason, Action<bool> rolledBack)
        => (await ApplyAsync(LifecycleTrigger.SuccessorFailed, reason, cell => rolledBack(cell.Action == LifecycleAction.RollBack)).ConfigureAwait(false))?.Action == LifecycleAction.RollBack;

    /// <summary>The supervisor started this worker's successor: drain.</summary>
    public Task DrainOrderedAsync(string reason) => ApplyAsync(LifecycleTrigger.DrainOrdered, reason);

    private async Task RunUpgradeAsync(IUpgradeHandler upgrade, string source)
    {
        try
        {
            await upgrade.UpgradeAsync(source, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.UpgradeFailed(_logger, source, ex);
        }
    }

    private void NotifyStopBegan(string source)
    {
        foreach (var listener in _services.GetServices<IStopListener>())
        {
            listener.StopBegan(source);
        }
    }

    private async Task GracePeriodAsync(string source)
    {
        var grace = _options.ShutdownGracePeriod;
        Log.ReadinessWithdrawn(_logger, source, Durations.Ms(grace));
        if (grace > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(grace, _time, _graceCancelled.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Log.GracePeriodEnded(_logger, Durations.Ms(grace));
                return; // fast stop: it stopped the application itself
            }
        }

        Log.GracePeriodEnded(_logger, Durations.Ms(grace));
        await ApplyAsync(LifecycleTrigger.GraceElapsed, $"{source}: grace period of {grace.TotalSeconds:0.###} s ended").ConfigureAwait(false);
    }

    private void StopApplication()
    {
        _drainBegun.TrySetResult();
        _appLifetime.StopApplication();
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.ReadinessWithdrawn, LogLevel.Information, "{Source}: readiness withdrawn; serving normally for the grace period of {GraceMs} ms", EventName = nameof(BatonEventIds.ReadinessWithdrawn))]
        public static partial void ReadinessWithdrawn(ILogger logger, string source, double graceMs);

        [LoggerMessage(BatonEventIds.GracePeriodEnded, LogLevel.Information, "Grace period of {GraceMs} ms ended: closing listeners and draining", EventName = nameof(BatonEventIds.GracePeriodEnded))]
        public static partial void GracePeriodEnded(ILogger logger, double graceMs);

        [LoggerMessage(BatonEventIds.FastStopRequested, LogLevel.Warning, "{Source} during shutdown: fast stop, what is left is aborted after {TimeoutMs} ms", EventName = nameof(BatonEventIds.FastStopRequested))]
        public static partial void FastStop(ILogger logger, string source, double timeoutMs);

        [LoggerMessage(BatonEventIds.SignalIgnored, LogLevel.Information, "{Source} ignored: {Why}", EventName = nameof(BatonEventIds.SignalIgnored))]
        public static partial void SignalIgnored(ILogger logger, string source, string why);

        [LoggerMessage(BatonEventIds.UpgradeDisabled, LogLevel.Warning, "{Source}: upgrade is not enabled (set Baton:Lifecycle:EnableZeroDowntime to true); still serving", EventName = nameof(BatonEventIds.UpgradeDisabled))]
        public static partial void UpgradeDisabled(ILogger logger, string source);

        [LoggerMessage(BatonEventIds.UpgradeRolledBack, LogLevel.Error, "{Source}: upgrade failed unexpectedly; still serving", EventName = nameof(BatonEventIds.UpgradeRolledBack))]
        public static partial void UpgradeFailed(ILogger logger, string source, Exception exception);
    }
}
