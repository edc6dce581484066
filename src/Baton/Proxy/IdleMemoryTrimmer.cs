using System.Diagnostics;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Draining;
using Microsoft.Extensions.Hosting;

namespace Baton.Proxy;

/// <summary>
/// Gives memory back when the proxy goes quiet (<c>Baton:Memory:IdleTrimAfter</c>). After a burst
/// of traffic the GC keeps the regions it grew into (gen0's budget, the gen1 and gen2 growth of the
/// first requests) until the next collection, and a quiet proxy makes no next collection. Once no
/// request has run for the idle time, one blocking, compacting, aggressive collection releases the
/// free regions to the OS (<see cref="GCCollectionMode.Aggressive"/>). Go's runtime does the same
/// with its background scavenger, glibc's allocator with <c>malloc_trim</c>.
/// </summary>
/// <remarks>
/// At most one collection per quiet period: the next one needs requests served in between. A
/// request that arrives during the collection waits for it (a few ms for Baton's ~10 MB heap), the
/// same pause any gen2 collection costs; with traffic there is no trim at all.
/// </remarks>
internal sealed partial class IdleMemoryTrimmer(ConnectionTracker tracker, Configuration.BatonSettings settings, TimeProvider time, ILogger<IdleMemoryTrimmer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idleAfter = settings.Memory.IdleTrimAfter;
        if (idleAfter <= TimeSpan.Zero)
        {
            return;
        }

        // Checked ten times per idle period (at most every 50 ms, at least every 1 s), so the trim
        // comes within a tenth of the idle time after it: 5.0-5.5 s for the default.
        var period = TimeSpan.FromTicks(Math.Clamp(idleAfter.Ticks / 10, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
        using var timer = new PeriodicTimer(period, time);
        long started = time.GetTimestamp();
        var quiet = new QuietPeriod(idleAfter);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var now = time.GetElapsedTime(started);
                if (quiet.Observe(tracker.Served, tracker.InFlight, now))
                {
                    Trim(now - quiet.Since);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// The trim decision, apart from the timer: true once per quiet period, when neither a request
    /// ended nor one ran for <c>idleAfter</c>. Start-up counts as the first burst, so a process that
    /// never serves is trimmed once too.
    /// </summary>
    internal struct QuietPeriod(TimeSpan idleAfter)
    {
        private long _served = -1;
        private bool _trimmed;

        /// <summary>When the current quiet period began, as time since start.</summary>
        public TimeSpan Since { get; private set; }

        /// <summary>One look at the counters at <paramref name="now"/> (time since start); true: trim now.</summary>
        public bool Observe(long served, int inFlight, TimeSpan now)
        {
            if (served != _served || inFlight > 0)
            {
                // A request that ended re-arms the trim; one still running only postpones it.
                if (served != _served)
                {
                    _trimmed = false;
                }

                _served = served;
                Since = now;
                return false;
            }

            if (_trimmed || now - Since < idleAfter)
            {
                return false;
            }

            _trimmed = true;
            return true;
        }
    }

    private void Trim(TimeSpan quiet)
    {
        long rssBefore = Environment.WorkingSet;
        long committedBefore = GC.GetGCMemoryInfo().TotalCommittedBytes;
        long started = Stopwatch.GetTimestamp();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var elapsed = Stopwatch.GetElapsedTime(started);
        MemoryTrimmed(
            logger,
            (long)quiet.TotalMilliseconds,
            elapsed.TotalMilliseconds,
            rssBefore / 1048576.0,
            Environment.WorkingSet / 1048576.0,
            committedBefore / 1048576.0,
            GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0);
    }

    [LoggerMessage(BatonEventIds.MemoryTrimmed, LogLevel.Information,
        "Idle for {IdleMs} ms: memory trimmed in {ElapsedMs:0.0} ms, RSS {RssBeforeMb:0.0} -> {RssAfterMb:0.0} MB, GC heap committed {CommittedBeforeMb:0.0} -> {CommittedAfterMb:0.0} MB",
        EventName = nameof(BatonEventIds.MemoryTrimmed))]
    private static partial void MemoryTrimmed(ILogger logger, long idleMs, double elapsedMs, double rssBeforeMb, double rssAfterMb, double committedBeforeMb, double committedAfterMb);
}

/// <summary><c>Baton:Memory</c>: how Baton gives memory back.</summary>
public sealed record MemorySettings
{
    /// <summary>After this long without a request, one compacting collection returns the GC's free memory to the OS; zero: never. Defaults to 5 s.</summary>
    public TimeSpan IdleTrimAfter { get; init; } = TimeSpan.FromSeconds(5);
}
