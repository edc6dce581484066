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
internal sealed class ShutdownCoordinator : ILifecycleController
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
                    LifecycleLog.UpgradeDisabled(_logger, source);
                }

                break;
        }
    }

    public async Task PreStopAsync(CancellationToken cancellationToken)
    {
        await ApplyAsync(LifecycleTrigger.Stop, "prestop").ConfigureAwait(false);
        await _drainBegun.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets or clears the operator's unhealthy mark (<c>/healthcheck/fail</c>, <c>/healthcheck/ok</c>).</summary>
    public Task MarkHealthAsync(bool unhealthy, string source)
        => ApplyAsync(LifecycleTrigger.MarkHealth, source, cell =>
        {
            if (cell.Action == LifecycleAction.MarkHealth)
            {
                _state.SetUnhealthy(unhealthy);
            }
        });

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
                LifecycleLog.FastStopRequested(_logger, source, Durations.Ms(_options.FastStopTimeout));
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
                    LifecycleLog.SignalIgnored(_logger, source, "no configuration reload is wired in this host");
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

        // A stop deferred meanwhile is satisfied when this process is stopping anyway (the upgrade
        // completed and it drains as the old one, a fast stop, or the host stopped on its own).
        if (cell.Next != cell.From && !cell.Next.IsServing() && cell.Next != LifecyclePhase.Starting && _state.TakeDeferredStop() is { } satisfied)
        {
            LifecycleLog.DeferredStopSatisfied(_logger, satisfied, cell.Next, cell.Outcome);
        }

        return cell;
    }

    // Named operations: what the host, the drain and the upgrade tell the lifecycle.

    /// <summary>The host listens: Starting → Running (or a stop deferred meanwhile runs now).</summary>
    public Task ListeningAsync() => ApplyAsync(LifecycleTrigger.Listening, "listeners accepting");

    /// <summary>The host began stopping: the drain begins.</summary>
    public Task DrainStartedAsync() => ApplyAsync(LifecycleTrigger.DrainStarted, "listeners closing; in-flight requests finish");

    /// <summary>Everything drained or was aborted.</summary>
    public Task DrainedAsync(string reason) => ApplyAsync(LifecycleTrigger.Drained, reason);

    /// <summary>
    /// Asks to begin an upgrade (O2). Began when this process entered UpgradeStarting; otherwise
    /// the refusal says why not (an upgrade running, stopping, still starting).
    /// </summary>
    public async Task<(bool Began, string Refusal)> TryBeginUpgradeAsync(string source)
    {
        var cell = await ApplyAsync(LifecycleTrigger.Upgrade, source).ConfigureAwait(false);
        return (cell?.Action == LifecycleAction.StartUpgrade, cell?.Outcome ?? $"an upgrade cannot start in phase {_state.Phase}");
    }

    /// <summary>The new process holds the listeners (O4).</summary>
    public Task HandedOverAsync(string reason) => ApplyAsync(LifecycleTrigger.HandedOver, reason);

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
            LifecycleLog.UpgradeRolledBack(_logger, source, $"the upgrade failed unexpectedly: {ex.Message}", ex);
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
        LifecycleLog.ReadinessWithdrawn(_logger, source, Durations.Ms(grace));
        if (grace > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(grace, _time, _graceCancelled.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                LifecycleLog.GracePeriodEnded(_logger, Durations.Ms(grace));
                return; // fast stop: it stopped the application itself
            }
        }

        LifecycleLog.GracePeriodEnded(_logger, Durations.Ms(grace));
        await ApplyAsync(LifecycleTrigger.GraceElapsed, $"{source}: grace period of {grace.TotalSeconds:0.###} s ended").ConfigureAwait(false);
    }

    private void StopApplication()
    {
        _drainBegun.TrySetResult();
        _appLifetime.StopApplication();
    }
}
