using Baton.Hosting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting.Lifecycle;

/// <summary>
/// The phase machine: the one owner of the phase. Every change is a <see cref="LifecycleTrigger"/>
/// applied through <see cref="LifecycleTable"/> by <see cref="Fire"/>, so that, for example, a late
/// SIGTERM cannot move a stopped process back to the grace period, and a trigger that cannot
/// happen in a phase is logged as a bug instead of silently ignored.
/// </summary>
public sealed class LifecycleState : ILifecycle
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile int _phase = (int)LifecyclePhase.Starting;
    private DateTimeOffset _since;
    private volatile bool _unhealthy;
    private int _illegal;
    private string? _deferredStop;

    /// <summary>Starts in <see cref="LifecyclePhase.Starting"/>; <paramref name="time"/> stamps each phase change.</summary>
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

    /// <summary>Readiness now: serving, not marked unhealthy, and no stop waiting for an upgrade's result.</summary>
    public bool IsReadyNow() => Phase.IsServing() && !_unhealthy && Volatile.Read(ref _deferredStop) is null;

    /// <summary>Marks this instance unhealthy or healthy again (readiness follows).</summary>
    public void SetUnhealthy(bool unhealthy)
    {
        if (_unhealthy != unhealthy)
        {
            _unhealthy = unhealthy;
            LifecycleLog.MarkedUnhealthy(_logger, unhealthy);
        }
    }

    /// <summary>Times a trigger arrived in a phase where it cannot happen (a bug; each is logged as <c>IllegalTrigger</c>).</summary>
    public int IllegalTriggers => Volatile.Read(ref _illegal);

    /// <summary>The source of a stop that arrived while starting or during an upgrade, until it runs.</summary>
    public string? DeferredStop { get { lock (_gate) { return _deferredStop; } } }

    /// <summary>
    /// Applies <paramref name="trigger"/> to the current phase through <see cref="LifecycleTable"/>:
    /// moves to the cell's next phase (logged as <c>PhaseChanged</c>) and returns the cell, whose
    /// action the caller performs. A <see cref="LifecycleAction.DeferStop"/> is remembered here.
    /// </summary>
    /// <returns>The cell; null when the trigger cannot happen in this phase (logged and counted, the phase stays).</returns>
    public LifecycleCell? Fire(LifecycleTrigger trigger, string reason)
    {
        LifecyclePhase previous;
        LifecycleCell? cell;
        lock (_gate)
        {
            previous = (LifecyclePhase)_phase;
            cell = LifecycleTable.Find(previous, trigger);
            if (cell is not null)
            {
                if (cell.Action == LifecycleAction.DeferStop)
                {
                    _deferredStop ??= reason;
                }

                if (cell.Next != previous)
                {
                    _phase = (int)cell.Next;
                    _since = _time.GetUtcNow();
                }
            }
        }

        if (cell is null)
        {
            Interlocked.Increment(ref _illegal);
            LifecycleLog.IllegalTrigger(_logger, trigger, previous, reason);
            return null;
        }

        if (cell.Next != previous)
        {
            LifecycleLog.PhaseChanged(_logger, previous, cell.Next, reason);
            PhaseChanged?.Invoke(previous, cell.Next);
        }
        else if (cell.Action is LifecycleAction.Ignore or LifecycleAction.DeferStop or LifecycleAction.Refuse)
        {
            LifecycleLog.TriggerNotApplied(_logger, trigger, previous, reason, cell.Outcome);
        }

        return cell;
    }

    /// <summary>Takes the deferred stop, if any (it then runs once).</summary>
    public string? TakeDeferredStop()
    {
        lock (_gate)
        {
            var source = _deferredStop;
            _deferredStop = null;
            return source;
        }
    }

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
}
