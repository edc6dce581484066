using Baton.Hosting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting.Lifecycle;

/// <summary>
/// The phase machine. Transitions are checked against <see cref="IsAllowed"/> so that, for
/// example, a late SIGTERM cannot move a stopped process back to the grace period.
/// </summary>
public sealed partial class LifecycleState : ILifecycle
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile int _phase = (int)LifecyclePhase.Starting;
    private DateTimeOffset _since;
    private volatile bool _unhealthy;

    public LifecycleState(TimeProvider time, ILogger<LifecycleState> logger)
    {
        _time = time;
        _logger = logger;
        _since = time.GetUtcNow();
    }

    /// <inheritdoc />
    public LifecyclePhase Phase => (LifecyclePhase)_phase;

    /// <inheritdoc />
    public DateTimeOffset PhaseSince { get { lock (_gate) { return _since; } } }

    /// <inheritdoc />
    public bool MarkedUnhealthy => _unhealthy;

    /// <inheritdoc />
    public event Action<LifecyclePhase, LifecyclePhase>? PhaseChanged;

    /// <summary>Readiness now: serving and not marked unhealthy.</summary>
    public bool IsReadyNow() => Phase.IsServing() && !_unhealthy;

    /// <summary>Marks this instance unhealthy or healthy again (readiness follows).</summary>
    public void SetUnhealthy(bool unhealthy)
    {
        if (_unhealthy != unhealthy)
        {
            _unhealthy = unhealthy;
            Log.MarkedUnhealthy(_logger, unhealthy);
        }
    }

    /// <summary>Moves to <paramref name="next"/> if the machine allows it from the current phase.</summary>
    /// <returns>True when the phase changed.</returns>
    public bool TryTransition(LifecyclePhase next, string reason)
    {
        LifecyclePhase previous;
        lock (_gate)
        {
            previous = (LifecyclePhase)_phase;
            if (previous == next || !IsAllowed(previous, next))
            {
                return false;
            }

            _phase = (int)next;
            _since = _time.GetUtcNow();
        }

        Log.PhaseChanged(_logger, previous, next, reason);
        PhaseChanged?.Invoke(previous, next);
        return true;
    }

    /// <summary>The allowed transitions of the phase machine.</summary>
    public static bool IsAllowed(LifecyclePhase from, LifecyclePhase to) => (from, to) switch
    {
        (LifecyclePhase.Stopped, _) => false,
        (_, LifecyclePhase.Stopped) => true,
        (_, LifecyclePhase.Aborting) => from is not LifecyclePhase.Starting,
        (LifecyclePhase.Aborting, _) => false,
        (LifecyclePhase.Starting, LifecyclePhase.Running) => true,
        (LifecyclePhase.Starting, LifecyclePhase.Draining) => true,
        (LifecyclePhase.Running or LifecyclePhase.UpgradeStarting or LifecyclePhase.HandingOff, LifecyclePhase.GracePeriod) => true,
        (LifecyclePhase.Running or LifecyclePhase.UpgradeStarting or LifecyclePhase.HandingOff or LifecyclePhase.GracePeriod, LifecyclePhase.Draining) => true,
        (LifecyclePhase.Running, LifecyclePhase.UpgradeStarting) => true,
        (LifecyclePhase.UpgradeStarting, LifecyclePhase.HandingOff) => true,
        (LifecyclePhase.UpgradeStarting or LifecyclePhase.HandingOff, LifecyclePhase.Running) => true, // rolled back
        (LifecyclePhase.HandingOff, LifecyclePhase.UpgradeDraining) => true,
        (LifecyclePhase.Running, LifecyclePhase.UpgradeDraining) => true, // a supervised worker told to drain
        _ => false,
    };

    /// <inheritdoc />
    public async Task WaitForPhaseAsync(CancellationToken cancellationToken, params LifecyclePhase[] phases)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(LifecyclePhase _, LifecyclePhase now)
        {
            if (Array.IndexOf(phases, now) >= 0)
            {
                reached.TrySetResult();
            }
        }

        PhaseChanged += OnChanged;
        try
        {
            if (Array.IndexOf(phases, Phase) >= 0)
            {
                return;
            }

            await reached.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            PhaseChanged -= OnChanged;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.PhaseChanged, LogLevel.Information, "Phase {Previous} -> {Phase}: {Reason}", EventName = nameof(BatonEventIds.PhaseChanged))]
        public static partial void PhaseChanged(ILogger logger, LifecyclePhase previous, LifecyclePhase phase, string reason);

        [LoggerMessage(BatonEventIds.MarkedUnhealthy, LogLevel.Warning, "Marked unhealthy: {Unhealthy}", EventName = nameof(BatonEventIds.MarkedUnhealthy))]
        public static partial void MarkedUnhealthy(ILogger logger, bool unhealthy);
    }
}
