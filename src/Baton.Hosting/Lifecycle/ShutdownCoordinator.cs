using Baton.Hosting.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Hosting.Lifecycle;

/// <summary>
/// The default <see cref="ILifecycleController"/>. A graceful stop runs in named steps:
/// <list type="number">
/// <item>withdraw readiness (phase <see cref="LifecyclePhase.GracePeriod"/>) while serving normally;</item>
/// <item>after <see cref="LifecycleOptions.ShutdownGracePeriod"/>, stop the application: the server unbinds
/// and the <see cref="Draining.DrainCoordinator"/> drains;</item>
/// <item>a second stop signal cancels what is left of the grace period and aborts soon (fast stop).</item>
/// </list>
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
    private int _stopRequested;

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

    public void Request(LifecycleIntent intent, string source, bool fromSignal = false)
    {
        switch (intent)
        {
            case LifecycleIntent.GracefulStop:
                // Only a second *signal* forces a fast stop: preStop followed by the kubelet's
                // SIGTERM is one orderly stop, and so is SIGTERM to an old generation already draining.
                bool second = fromSignal && Interlocked.Increment(ref _stopSignals) > 1;
                if (second)
                {
                    FastStop(source);
                }
                else
                {
                    BeginGracefulStop(source);
                }

                break;
            case LifecycleIntent.FastStop:
                FastStop(source);
                break;
            case LifecycleIntent.Reload:
                if (_services.GetService<IReloadHandler>() is { } reload)
                {
                    reload.Reload(source);
                }
                else
                {
                    Log.SignalIgnored(_logger, source, "no configuration reload is wired in this host");
                }

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
        BeginGracefulStop("prestop");
        await _drainBegun.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

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

    private void BeginGracefulStop(string source)
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 1)
        {
            return; // already stopping: one path, later callers share it
        }

        _ = GracefulStopAsync(source);
    }

    private async Task GracefulStopAsync(string source)
    {
        var grace = _options.ShutdownGracePeriod;
        if (_state.TryTransition(LifecyclePhase.GracePeriod, $"{source}: readiness withdrawn for {grace.TotalSeconds:0.###} s while serving"))
        {
            Log.ReadinessWithdrawn(_logger, source, Durations.Ms(grace));
            if (grace > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(grace, _time, _graceCancelled.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // fast stop: skip the rest of the grace period
                }
            }

            Log.GracePeriodEnded(_logger, Durations.Ms(grace));
        }

        StopApplication();
    }

    private void FastStop(string source)
    {
        Interlocked.Exchange(ref _stopRequested, 1);
        Log.FastStop(_logger, source, Durations.Ms(_options.FastStopTimeout));
        _state.TryTransition(LifecyclePhase.Aborting, $"{source}: fast stop");
        _graceCancelled.Cancel();
        FastStopRequested?.Invoke();
        StopApplication();
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
