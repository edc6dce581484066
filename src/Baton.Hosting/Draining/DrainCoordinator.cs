using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Hosting.Draining;

/// <summary>
/// Runs the drain around the server's own stop, in named steps:
/// <list type="number">
/// <item><c>StoppingAsync</c> (before the server stops): enter <see cref="LifecyclePhase.Draining"/>,
/// start the deadline and the one-line-per-second progress;</item>
/// <item>the server (Kestrel) unbinds, asks every connection to close (HTTP/1.1 <c>Connection: close</c>,
/// idle keep-alive closed, HTTP/2 GOAWAY) and waits for them;</item>
/// <item>an HTTP/2 connection that got GOAWAY is closed gracefully (final GOAWAY, then FIN) the moment its
/// last stream ends (<see cref="TrackedConnection"/>), so the drain never waits for a silent client;</item>
/// <item>at <c>DrainTimeout − LongLivedCloseLead</c> uploads from a replay-capable proxy are handed back and long-lived streams are closed (WebSockets with 1001);
/// at <c>DrainTimeout</c> what is left is aborted and counted (<c>NotAllRequestsDrained</c>);</item>
/// <item><c>StoppedAsync</c> (after the server stopped): run the post-drain steps (upstream pools),
/// log the summary, enter <see cref="LifecyclePhase.Stopped"/>.</item>
/// </list>
/// </summary>
internal sealed partial class DrainCoordinator : IHostedLifecycleService
{
    private readonly LifecycleState _state;
    private readonly ConnectionTracker _tracker;
    private readonly ShutdownCoordinator _shutdown;
    private readonly IEnumerable<IPostDrainStep> _postDrainSteps;
    private readonly ShutdownOutcome _outcome;
    private readonly LifecycleOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopped = new();
    private CancellationTokenSource _reschedule = new();
    private long _drainStart;
    private long _deadline;
    private long _lastRequestEnded;
    private int _abortedAtDeadline;
    private int _longLivedClosed;
    private bool _longLivedDone;
    private Task _loop = Task.CompletedTask;

    public DrainCoordinator(LifecycleState state, ConnectionTracker tracker, ShutdownCoordinator shutdown,
        IEnumerable<IPostDrainStep> postDrainSteps, ShutdownOutcome outcome, IOptions<LifecycleOptions> options,
        TimeProvider time, ILogger<DrainCoordinator> logger)
    {
        _state = state;
        _tracker = tracker;
        _shutdown = shutdown;
        _postDrainSteps = postDrainSteps;
        _outcome = outcome;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _shutdown.FastStopRequested += OnFastStop;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // The host listens: Running (readiness 200), unless a stop arrived while starting. Registered
    // before the handoff's start-up steps, which report ready only in Running.
    public Task StartedAsync(CancellationToken cancellationToken) => _shutdown.ListeningAsync();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Step 1.
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _drainStart = _time.GetTimestamp();
        var timeout = _state.Phase == LifecyclePhase.Aborting ? _options.FastStopTimeout : _options.DrainTimeout;
        Interlocked.Exchange(ref _deadline, _drainStart + ToTicks(timeout));
        await _shutdown.DrainStartedAsync().ConfigureAwait(false);

        Log.DrainStarted(_logger, Durations.Ms(timeout), _tracker.InFlight, _tracker.OpenConnections, _tracker.LongLived);
        _ = WhenLastRequestEndsAsync();
        _loop = RunDeadlineLoopAsync();
    }

    // Step 5.
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        _stopped.Cancel();
        await _loop.ConfigureAwait(false);
        var drained = _time.GetElapsedTime(_drainStart);
        foreach (var step in _postDrainSteps)
        {
            try
            {
                var summary = await step.RunAsync(cancellationToken).ConfigureAwait(false);
                Log.PostDrainStep(_logger, step.Name, summary);
            }
            catch (Exception ex)
            {
                Log.DrainStepFailed(_logger, step.Name, ex);
            }
        }

        _outcome.AbortedRequests = _abortedAtDeadline;
        _outcome.LongLivedClosed = _longLivedClosed;
        long lastEnded = Interlocked.Read(ref _lastRequestEnded);
        var afterLast = lastEnded == 0 ? TimeSpan.Zero : _time.GetElapsedTime(lastEnded);
        Log.DrainCompleted(_logger, Environment.ProcessId, Durations.Ms(drained), _tracker.Served, _abortedAtDeadline, _longLivedClosed, Durations.Ms(afterLast));
        await _shutdown.DrainedAsync(_abortedAtDeadline == 0 ? "everything drained" : $"{_abortedAtDeadline} request(s) aborted").ConfigureAwait(false);
        Log.ShutdownComplete(_logger, Environment.ProcessId, _outcome.ExitCode);
    }

    // Step 3.
    private async Task WhenLastRequestEndsAsync()
    {
        await _tracker.WhenIdleAsync().ConfigureAwait(false);
        Interlocked.Exchange(ref _lastRequestEnded, _time.GetTimestamp());
    }

    // Steps 2 and 4: progress once a second, long-lived close and the deadline.
    private async Task RunDeadlineLoopAsync()
    {
        var second = TimeSpan.FromSeconds(1);
        long nextProgress = _drainStart + ToTicks(second);
        while (!_stopped.IsCancellationRequested)
        {
            long now = _time.GetTimestamp();
            long deadline = Interlocked.Read(ref _deadline);
            long longLivedAt = deadline - ToTicks(_options.LongLivedCloseLead);
            if (!_longLivedDone && now >= longLivedAt)
            {
                _longLivedDone = true;
                if (_tracker.HandBacks.Count > 0)
                {
                    // Uploads a replay-capable proxy can send elsewhere go back to it instead of being aborted.
                    Log.HandedBack(_logger, await _tracker.HandBacks.HandBackAllAsync(HandBackWait, _time).ConfigureAwait(false));
                }

                if (_tracker.LongLived > 0)
                {
                    var (total, frames) = await _tracker.CloseLongLivedAsync(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
                    _longLivedClosed = total;
                    Log.LongLivedClosing(_logger, total, frames);
                }
            }

            if (now >= deadline)
            {
                int running = _tracker.InFlight;
                if (running > 0)
                {
                    _abortedAtDeadline = running;
                    Log.NotAllRequestsDrained(_logger, running, Durations.Ms(_time.GetElapsedTime(_drainStart)));
                }

                _tracker.AbortAll("Baton drain deadline reached.");
                return;
            }

            if (now >= nextProgress)
            {
                Log.DrainProgress(_logger, _tracker.InFlight, _tracker.OpenConnections, _tracker.LongLived,
                    Durations.Ms(_tracker.OldestRequestAge), Durations.Ms(_time.GetElapsedTime(now, deadline)));
                nextProgress += ToTicks(second);
            }

            long next = Math.Min(nextProgress, _longLivedDone ? deadline : Math.Min(longLivedAt, deadline));
            var wait = _time.GetElapsedTime(now, next);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_stopped.Token, _reschedule.Token);
            try
            {
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _time, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                if (_reschedule.IsCancellationRequested)
                {
                    _reschedule = new CancellationTokenSource();
                }
            }
        }
    }

    private void OnFastStop()
    {
        long fastDeadline = _time.GetTimestamp() + ToTicks(_options.FastStopTimeout);
        long current;
        do
        {
            current = Interlocked.Read(ref _deadline);
            if (current != 0 && current <= fastDeadline)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _deadline, fastDeadline, current) != current);

        _reschedule.Cancel();
    }

    /// <summary>How long handed-back uploads may take to reach the proxy (their bodies go back over the wire) before the deadline aborts what is left.</summary>
    private static readonly TimeSpan HandBackWait = TimeSpan.FromSeconds(2);

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.DrainStarted, LogLevel.Information, "Drain started (timeout {TimeoutMs} ms): {InFlight} in-flight request(s), {Connections} connection(s), {LongLived} long-lived", EventName = nameof(BatonEventIds.DrainStarted))]
        public static partial void DrainStarted(ILogger logger, double timeoutMs, int inFlight, int connections, int longLived);

        [LoggerMessage(BatonEventIds.DrainProgress, LogLevel.Information, "Draining: {InFlight} in-flight, {Connections} connection(s), {LongLived} long-lived, oldest request {OldestAgeMs} ms, deadline in {RemainingMs} ms", EventName = nameof(BatonEventIds.DrainProgress))]
        public static partial void DrainProgress(ILogger logger, int inFlight, int connections, int longLived, double oldestAgeMs, double remainingMs);

        [LoggerMessage(BatonEventIds.UploadsHandedBack, LogLevel.Information, "Handed {Count} upload(s) still arriving back to the proxy for replay", EventName = nameof(BatonEventIds.UploadsHandedBack))]
        public static partial void HandedBack(ILogger logger, int count);

        [LoggerMessage(BatonEventIds.LongLivedClosing, LogLevel.Warning, "Closed {Count} long-lived connection(s) at the drain deadline; {CloseFrames} WebSocket(s) got close code 1001", EventName = nameof(BatonEventIds.LongLivedClosing))]
        public static partial void LongLivedClosing(ILogger logger, int count, int closeFrames);

        [LoggerMessage(BatonEventIds.NotAllRequestsDrained, LogLevel.Warning, "NotAllRequestsDrained: {Count} request(s) still running after {ElapsedMs} ms were aborted", EventName = nameof(BatonEventIds.NotAllRequestsDrained))]
        public static partial void NotAllRequestsDrained(ILogger logger, int count, double elapsedMs);

        [LoggerMessage(BatonEventIds.UpstreamPoolsDrained, LogLevel.Information, "Post-drain step {Step}: {Summary}", EventName = nameof(BatonEventIds.UpstreamPoolsDrained))]
        public static partial void PostDrainStep(ILogger logger, string step, string summary);

        [LoggerMessage(BatonEventIds.DrainStepFailed, LogLevel.Error, "Post-drain step {Step} failed", EventName = nameof(BatonEventIds.DrainStepFailed))]
        public static partial void DrainStepFailed(ILogger logger, string step, Exception exception);

        [LoggerMessage(BatonEventIds.DrainCompleted, LogLevel.Information, "Drain of pid {Pid} completed in {DurationMs} ms: {Served} request(s) served in total, {Aborted} aborted, {LongLived} long-lived closed; last request ended {AfterLastMs} ms ago", EventName = nameof(BatonEventIds.DrainCompleted))]
        public static partial void DrainCompleted(ILogger logger, int pid, double durationMs, long served, int aborted, int longLived, double afterLastMs);

        [LoggerMessage(BatonEventIds.ShutdownComplete, LogLevel.Information, "Shutdown of pid {Pid} complete; exit code {ExitCode}", EventName = nameof(BatonEventIds.ShutdownComplete))]
        public static partial void ShutdownComplete(ILogger logger, int pid, int exitCode);
    }
}
