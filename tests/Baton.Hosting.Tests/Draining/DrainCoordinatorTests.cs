using Baton.Hosting.Diagnostics;
using Baton.Hosting.Draining;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Tests.Lifecycle;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Baton.Hosting.Tests.Draining;

public class DrainCoordinatorTests
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private static readonly ListenerInfo Public = new("public", IsAdmin: false, ServesHealth: false);

    [Fact]
    public async Task Drain_NothingInFlight_EndsAtOnceWithExitCodeZero()
    {
        var drain = new DrainRig();
        await drain.Coordinator.StoppingAsync(CancellationToken.None);
        Assert.Equal(LifecyclePhase.Draining, drain.Rig.State.Phase);

        await drain.Coordinator.StoppedAsync(CancellationToken.None);

        Assert.Equal(LifecyclePhase.Stopped, drain.Rig.State.Phase);
        Assert.Equal(ExitCodes.Success, drain.Outcome.ExitCode);
        Assert.Equal(1, drain.PostDrain.Runs);
        var completed = drain.Rig.Log.Events.Single(e => e.Id == BatonEventIds.DrainCompleted);
        Assert.Equal(0, completed["Aborted"]);
        Assert.Equal(0, drain.Rig.Log.Events.Single(e => e.Id == BatonEventIds.ShutdownComplete)["ExitCode"]);
        Assert.DoesNotContain(drain.Rig.Log.Events, e => e.Id == BatonEventIds.NotAllRequestsDrained);
    }

    [Fact]
    public async Task Drain_RequestOutlivesDrainTimeout_IsAbortedCountedAndExitCodeSaysSo()
    {
        var drain = new DrainRig();
        var (connection, context) = drain.Open();
        drain.Tracker.RequestStarted(connection);
        await drain.Coordinator.StoppingAsync(CancellationToken.None);

        drain.Rig.Time.Advance(DrainTimeout - TimeSpan.FromMilliseconds(1));
        await drain.Rig.Log.WaitForAsync(BatonEventIds.DrainProgress); // the loop is alive and has seen the time
        Assert.DoesNotContain(drain.Rig.Log.Events, e => e.Id == BatonEventIds.NotAllRequestsDrained);
        Assert.False(context.ConnectionClosed.IsCancellationRequested);
        drain.Rig.Time.Advance(TimeSpan.FromMilliseconds(1));

        var notDrained = await drain.Rig.Log.WaitForAsync(BatonEventIds.NotAllRequestsDrained);
        Assert.Equal(1, notDrained["Count"]);
        await context.Aborted.WaitAsync(Wait);
        await drain.Coordinator.StoppedAsync(CancellationToken.None);
        Assert.Equal(1, drain.Outcome.AbortedRequests);
        Assert.Equal(ExitCodes.RequestsAborted, drain.Outcome.ExitCode);
        Assert.Equal(LifecyclePhase.Stopped, drain.Rig.State.Phase);
    }

    [Fact]
    public async Task Drain_RequestEndsBeforeDeadline_NothingIsAborted()
    {
        var drain = new DrainRig();
        var (connection, context) = drain.Open();
        drain.Tracker.RequestStarted(connection);
        await drain.Coordinator.StoppingAsync(CancellationToken.None);
        drain.Rig.Time.Advance(TimeSpan.FromSeconds(3));

        drain.Tracker.RequestEnded(connection);
        await drain.Coordinator.StoppedAsync(CancellationToken.None);
        drain.Rig.Time.Advance(DrainTimeout); // a deadline after the stop must not fire

        Assert.Equal(ExitCodes.Success, drain.Outcome.ExitCode);
        Assert.False(context.ConnectionClosed.IsCancellationRequested);
        Assert.DoesNotContain(drain.Rig.Log.Events, e => e.Id == BatonEventIds.NotAllRequestsDrained);
    }

    [Fact]
    public async Task Drain_OneProgressLinePerSecond()
    {
        var drain = new DrainRig();
        drain.Tracker.RequestStarted(null);
        drain.Tracker.RequestStarted(null);
        await drain.Coordinator.StoppingAsync(CancellationToken.None);
        Assert.DoesNotContain(drain.Rig.Log.Events, e => e.Id == BatonEventIds.DrainProgress);

        for (int second = 1; second <= 3; second++)
        {
            drain.Rig.Time.Advance(TimeSpan.FromSeconds(1));
            await drain.WaitForCountAsync(BatonEventIds.DrainProgress, second);
        }

        var progress = drain.Rig.Log.Events.Where(e => e.Id == BatonEventIds.DrainProgress).ToArray();
        Assert.Equal(3, progress.Length);
        Assert.All(progress, p => Assert.Equal(2, p["InFlight"]));
        Assert.Equal((DrainTimeout - TimeSpan.FromSeconds(3)).TotalMilliseconds, progress[2]["RemainingMs"]);
    }

    [Fact]
    public async Task Drain_LongLived_GetsGoingAwayAtDeadlineMinusLeadAndClosesByItself()
    {
        var lead = TimeSpan.FromSeconds(2);
        var drain = new DrainRig(new LifecycleOptions { DrainTimeout = DrainTimeout, LongLivedCloseLead = lead });
        var (connection, context) = drain.Open();
        var webSocket = new FakeLongLived();
        drain.Tracker.RequestStarted(connection);
        drain.Tracker.LongLivedOpened(connection, webSocket);
        await drain.Coordinator.StoppingAsync(CancellationToken.None);

        drain.Rig.Time.Advance(DrainTimeout - lead - TimeSpan.FromMilliseconds(1));
        await drain.WaitForCountAsync(BatonEventIds.DrainProgress, 7);
        Assert.Equal(0, webSocket.GoingAwayCalls);
        drain.Rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        await webSocket.GoingAwaySent.WaitAsync(Wait);

        // The peer answers the close handshake: the connection ends by itself, nothing is aborted.
        drain.Tracker.LongLivedClosed(connection, webSocket);
        drain.Tracker.RequestEnded(connection);
        context.CloseGracefully();

        var closing = await drain.Rig.Log.WaitForAsync(BatonEventIds.LongLivedClosing);
        Assert.Equal(1, closing["Count"]);
        Assert.Equal(1, closing["CloseFrames"]);
        drain.Rig.Time.Advance(lead);
        await drain.Coordinator.StoppedAsync(CancellationToken.None);
        Assert.Equal(ExitCodes.Success, drain.Outcome.ExitCode);
        Assert.Equal(1, drain.Outcome.LongLivedClosed);
        Assert.DoesNotContain(drain.Rig.Log.Events, e => e.Id == BatonEventIds.NotAllRequestsDrained);
    }

    [Fact]
    public async Task Drain_LongLivedPeerSilentAfterGoingAway_IsAbortedAfterTheCloseTimeout()
    {
        var drain = new DrainRig(new LifecycleOptions { DrainTimeout = DrainTimeout });
        var (connection, context) = drain.Open();
        var webSocket = new FakeLongLived();
        drain.Tracker.RequestStarted(connection);
        drain.Tracker.LongLivedOpened(connection, webSocket);
        await drain.Coordinator.StoppingAsync(CancellationToken.None);

        drain.Rig.Time.Advance(DrainTimeout);
        await webSocket.GoingAwaySent.WaitAsync(Wait);
        Assert.False(context.AbortCalled, "the close frame must get a chance to reach the peer before the connection is reset");
        drain.Rig.Time.Advance(TimeSpan.FromMilliseconds(500));

        await context.Aborted.WaitAsync(Wait);
        var notDrained = await drain.Rig.Log.WaitForAsync(BatonEventIds.NotAllRequestsDrained);
        Assert.Equal(1, notDrained["Count"]);
    }

    [Fact]
    public async Task Drain_FastStopDuringDrain_ShortensTheDeadlineToFastStopTimeout()
    {
        var drain = new DrainRig(new LifecycleOptions { DrainTimeout = TimeSpan.FromMinutes(5), FastStopTimeout = TimeSpan.FromSeconds(1), ShutdownGracePeriod = TimeSpan.Zero });
        drain.Tracker.RequestStarted(null);
        drain.Rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);
        await drain.Coordinator.StoppingAsync(CancellationToken.None);
        drain.Rig.Time.Advance(TimeSpan.FromSeconds(10));
        await drain.WaitForCountAsync(BatonEventIds.DrainProgress, 1);

        drain.Rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);
        drain.Rig.Time.Advance(TimeSpan.FromSeconds(1));

        var notDrained = await drain.Rig.Log.WaitForAsync(BatonEventIds.NotAllRequestsDrained);
        Assert.Equal(1, notDrained["Count"]);
        Assert.Equal(LifecyclePhase.Aborting, drain.Rig.State.Phase);
    }

    [Fact]
    public async Task Drain_StartedByAFastStop_UsesFastStopTimeout()
    {
        var drain = new DrainRig(new LifecycleOptions { DrainTimeout = TimeSpan.FromMinutes(5), FastStopTimeout = TimeSpan.FromSeconds(1), ShutdownGracePeriod = TimeSpan.FromMinutes(1) });
        drain.Tracker.RequestStarted(null);
        drain.Rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGTERM", fromSignal: true);
        drain.Rig.Shutdown.Request(LifecycleIntent.GracefulStop, "SIGINT", fromSignal: true);
        await drain.Coordinator.StoppingAsync(CancellationToken.None);
        Assert.Equal(LifecyclePhase.Aborting, drain.Rig.State.Phase);

        drain.Rig.Time.Advance(TimeSpan.FromSeconds(1));

        await drain.Rig.Log.WaitForAsync(BatonEventIds.NotAllRequestsDrained);
        Assert.Equal(1000.0, drain.Rig.Log.Events.Single(e => e.Id == BatonEventIds.DrainStarted)["TimeoutMs"]);
    }

    [Fact]
    public async Task PostDrainStep_Failing_IsLoggedAndTheShutdownCompletes()
    {
        var drain = new DrainRig(postDrain: new RecordingPostDrainStep(fail: true));
        await drain.Coordinator.StoppingAsync(CancellationToken.None);

        await drain.Coordinator.StoppedAsync(CancellationToken.None);

        Assert.Contains(drain.Rig.Log.Events, e => e.Id == BatonEventIds.DrainStepFailed);
        Assert.Equal(LifecyclePhase.Stopped, drain.Rig.State.Phase);
        Assert.Contains(drain.Rig.Log.Events, e => e.Id == BatonEventIds.ShutdownComplete);
    }

    private sealed class DrainRig
    {
        public DrainRig(LifecycleOptions? options = null, RecordingPostDrainStep? postDrain = null)
        {
            Rig = new LifecycleRig(options ?? new LifecycleOptions { DrainTimeout = DrainTimeout }).Running();
            Tracker = new ConnectionTracker(Rig.Time);
            PostDrain = postDrain ?? new RecordingPostDrainStep(fail: false);
            Coordinator = new DrainCoordinator(Rig.State, Tracker, Rig.Shutdown, [PostDrain], Outcome, Rig.WrappedOptions, Rig.Time, Rig.Log.For<DrainCoordinator>());
        }

        public LifecycleRig Rig { get; }

        public ConnectionTracker Tracker { get; }

        public ShutdownOutcome Outcome { get; } = new();

        public RecordingPostDrainStep PostDrain { get; }

        public DrainCoordinator Coordinator { get; }

        public (TrackedConnection Connection, AbortableConnection Context) Open()
        {
            var context = new AbortableConnection();
            return (Tracker.ConnectionOpened(context, Public), context);
        }

        public async Task WaitForCountAsync(int id, int count)
        {
            var deadline = DateTime.UtcNow + Wait;
            while (Rig.Log.Events.Count(e => e.Id == id) < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"event {id} was logged fewer than {count} times");
                await Task.Yield();
            }
        }
    }

    /// <summary>A connection with an in-memory transport, whose abort the test can await.</summary>
    private sealed class AbortableConnection : DefaultConnectionContext
    {
        private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private readonly CancellationTokenSource _closed = new();

        public AbortableConnection()
        {
            var input = new Pipe();
            var output = new Pipe();
            Transport = new Duplex(input.Reader, output.Writer);
            ConnectionClosed = _closed.Token;
        }

        /// <summary>The connection ends without an abort (the peer closed it).</summary>
        public void CloseGracefully() => _closed.Cancel();

        public Task Aborted => _aborted.Task;

        public bool AbortCalled => _aborted.Task.IsCompleted;

        public override void Abort(ConnectionAbortedException abortReason)
        {
            base.Abort(abortReason);
            _aborted.TrySetResult();
        }

        private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
    }

    private sealed class FakeLongLived : ILongLivedStream
    {
        private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public bool IsWebSocket => true;

        public int GoingAwayCalls => Volatile.Read(ref _calls);

        public Task GoingAwaySent => _sent.Task;

        public Task<bool> SendGoingAwayAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            _sent.TrySetResult();
            return Task.FromResult(true);
        }
    }

    private sealed class RecordingPostDrainStep(bool fail) : IPostDrainStep
    {
        public int Runs { get; private set; }

        public string Name => "test pools";

        public Task<string> RunAsync(CancellationToken cancellationToken)
        {
            Runs++;
            return fail ? throw new InvalidOperationException("boom") : Task.FromResult("disposed");
        }
    }
}
