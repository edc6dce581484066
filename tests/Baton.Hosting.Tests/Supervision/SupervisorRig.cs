using System.Net;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Supervision;
using Baton.Hosting.Systemd;
using Baton.Hosting.Tests.Handoff;
using Baton.Hosting.Tests.Lifecycle;
using Microsoft.Extensions.Time.Testing;

namespace Baton.Hosting.Tests.Supervision;

/// <summary>
/// A <see cref="Supervisor"/> running its event loop on fake workers (<see cref="FakeSpawner"/>)
/// and fake time, one listener claimed, upgrades enabled and an <c>UpgradeTimeout</c> of an hour
/// (nothing in a test waits for it).
/// </summary>
internal sealed class SupervisorRig : IAsyncDisposable
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly List<(SupervisorTrigger Trigger, TaskCompletionSource<SupervisorCell?> Done)> _waiters = new();

    public SupervisorRig(params FakeBehaviour[] behaviours)
        : this(childrenExitOnTerminate: false, behaviours)
    {
    }

    /// <param name="childrenExitOnTerminate">
    /// Every fake worker ends with 0 on SIGTERM. Set here, before the loop starts: the loop spawns
    /// the first worker at once, so setting it on the spawner afterwards races that spawn.
    /// </param>
    /// <param name="behaviours">What each worker does, in spawn order.</param>
    public SupervisorRig(bool childrenExitOnTerminate, params FakeBehaviour[] behaviours)
        : this(childrenExitOnTerminate, configure: null, behaviours)
    {
    }

    /// <param name="childrenExitOnTerminate">As in <see cref="SupervisorRig(bool, FakeBehaviour[])"/>.</param>
    /// <param name="configure">Changes the options before the loop starts.</param>
    /// <param name="behaviours">What each worker does, in spawn order.</param>
    public SupervisorRig(bool childrenExitOnTerminate, Action<LifecycleOptions>? configure, params FakeBehaviour[] behaviours)
    {
        Spawner = new FakeSpawner(behaviours) { ChildrenExitOnTerminate = childrenExitOnTerminate };
        Table = new ListenerTable(Log.For<ListenerTable>());
        Table.Claim("public", new IPEndPoint(IPAddress.Loopback, 0), 16);
        var options = new LifecycleOptions { EnableZeroDowntime = true, UpgradeTimeout = TimeSpan.FromHours(1) };
        configure?.Invoke(options);
        Supervisor = new Supervisor(Table, ["baton", "run"], options, new SystemdNotifier(Log.For<SystemdNotifier>()), Spawner, Log.For<Supervisor>(), Time);
        Supervisor.Applied += OnApplied;
        Run = Task.Run(() => Supervisor.RunLoopAsync());
    }

    public EventLog Log { get; } = new();

    public FakeTimeProvider Time { get; } = new();

    public FakeSpawner Spawner { get; }

    public ListenerTable Table { get; }

    public Supervisor Supervisor { get; }

    public Task<int> Run { get; }

    public Task PhaseAsync(SupervisorPhase phase)
        => Supervisor.Phase == phase ? Task.CompletedTask : Log.WaitForAsync(BatonEventIds.SupervisorPhaseChanged, e => Equals(e["Phase"], phase));

    /// <summary>
    /// The cell of the next <paramref name="trigger"/> the supervisor applies (call before causing
    /// it); completes once the loop finished handling the event that applied it.
    /// </summary>
    public async Task<SupervisorCell?> NextAppliedAsync(SupervisorTrigger trigger, Func<Task> cause)
    {
        var done = new TaskCompletionSource<SupervisorCell?>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiters.Add((trigger, done));
        }

        await cause();
        var cell = await done.Task.WaitAsync(Wait);
        await SettledAsync();
        return cell;
    }

    /// <summary>Completes once the loop handled every event queued so far (or ended).</summary>
    public async Task SettledAsync()
    {
        var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Supervisor.Post(() => settled.TrySetResult());
        await Task.WhenAny(settled.Task, Run).WaitAsync(Wait);
    }

    /// <summary>
    /// Holds the loop until the returned gate is set, so that events queue up behind each other
    /// in a known order; completes once the loop is held.
    /// </summary>
    public async Task<ManualResetEventSlim> HoldLoopAsync()
    {
        var gate = new ManualResetEventSlim();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Supervisor.Post(() =>
        {
            held.SetResult();
            gate.Wait(Wait);
        });
        await held.Task.WaitAsync(Wait);
        return gate;
    }

    /// <summary>Completes once <paramref name="count"/> events wait on the held loop (the queue is no event anyone logs; it fills within milliseconds).</summary>
    public async Task QueuedAsync(int count)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (Supervisor.PendingEvents < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{count} events never queued up");
            await Task.Delay(1);
        }
    }

    /// <summary>Runs <paramref name="action"/> on the loop.</summary>
    public void Post(Action action) => Supervisor.Post(action);

    public async ValueTask DisposeAsync()
    {
        if (!Run.IsCompleted)
        {
            Supervisor.Post(() => Supervisor.Stop("test over"));
            await SettledAsync();
        }

        foreach (var child in Spawner.Children)
        {
            child.Release();
            child.Exit(0);
        }

        await Task.WhenAny(Run, Task.Delay(Wait)); // the loop disposes the listener table
    }

    private void OnApplied(SupervisorTrigger trigger, SupervisorCell? cell)
    {
        lock (_gate)
        {
            foreach (var w in _waiters.Where(w => w.Trigger == trigger).ToArray())
            {
                w.Done.TrySetResult(cell);
                _waiters.Remove(w);
            }
        }
    }
}
