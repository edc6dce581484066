using System.Globalization;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Proxy;

namespace Baton.FunctionalTests.Native;

/// <summary>
/// <c>Baton:Memory:IdleTrimAfter</c>: a quiet proxy gives the GC's free memory back, once per quiet
/// period, never while a request runs.
/// </summary>
public class IdleMemoryTrimTests
{
    private static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(5);

    [Fact]
    public void QuietPeriod_TrimsOnceAfterTheIdleTime_AndAgainOnlyAfterMoreRequests()
    {
        var quiet = new IdleMemoryTrimmer.QuietPeriod(IdleAfter);

        Assert.False(quiet.Observe(served: 0, inFlight: 0, At(0)));
        Assert.False(quiet.Observe(0, 0, At(4.9)));
        Assert.True(quiet.Observe(0, 0, At(5)));
        Assert.False(quiet.Observe(0, 0, At(60)));
        Assert.False(quiet.Observe(3, 0, At(61)));
        Assert.False(quiet.Observe(3, 0, At(65.9)));
        Assert.True(quiet.Observe(3, 0, At(66)));
        Assert.Equal(At(61), quiet.Since);
    }

    [Fact]
    public void QuietPeriod_NeverTrimsWhileARequestRuns_AndCountsFromItsEnd()
    {
        var quiet = new IdleMemoryTrimmer.QuietPeriod(IdleAfter);

        Assert.False(quiet.Observe(0, 1, At(0)));
        Assert.False(quiet.Observe(0, 1, At(100)));
        Assert.False(quiet.Observe(1, 0, At(101)));
        Assert.False(quiet.Observe(1, 0, At(105.9)));
        Assert.True(quiet.Observe(1, 0, At(106)));

        // A long request (a WebSocket) that starts after the trim does not re-arm it; its end does.
        Assert.False(quiet.Observe(1, 1, At(200)));
        Assert.False(quiet.Observe(1, 0, At(300)));
        Assert.False(quiet.Observe(2, 0, At(301)));
        Assert.True(quiet.Observe(2, 0, At(306)));
    }

    [Fact]
    public async Task IdleProcess_TrimsAfterTheLastRequestEnds_NotDuringIt()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Config["Baton"]!["Memory"] = new JsonObject { ["IdleTrimAfter"] = "00:00:00.250" });
        using var client = Clients.Http1();

        // Start-up counts as the first burst: a process that never served is trimmed once too. The
        // request after it starts a new period, which the slow one then holds open for 6 idle times.
        await host.Baton.WaitForEventAsync(BatonEventIds.MemoryTrimmed, BatonTestHost.Timeout);
        await client.GetStringAsync(new Uri(host.PublicUri, "whoami"));
        var sent = DateTimeOffset.UtcNow;
        var slow = await client.GetStringAsync(new Uri(host.PublicUri, "slow?ms=1500"));
        var answered = DateTimeOffset.UtcNow;
        for (int i = 0; i < 200; i++)
        {
            await client.GetStringAsync(new Uri(host.PublicUri, "whoami"));
        }

        var lastAnswered = DateTimeOffset.UtcNow;
        var trim = await host.Baton.WaitForEventAsync(BatonEventIds.MemoryTrimmed, BatonTestHost.Timeout, e => e.Timestamp > lastAnswered);

        Assert.Equal("slow done\n", slow);
        Assert.DoesNotContain(host.Baton.Events, e => e.EventId == BatonEventIds.MemoryTrimmed && e.Timestamp > sent && e.Timestamp < answered);
        Assert.InRange(Number(trim, "IdleMs"), 250, 30_000);
        Assert.InRange(Number(trim, "RssAfterMb"), 1, 1024);
    }

    [Fact]
    public async Task IdleTrimAfterZero_NeverTrims()
    {
        // The process with the trim off starts first, so it has been quiet longer when the other
        // trims; that one waits past the default (5 s), so zero read as "at once" or as the default fails.
        await using var off = await BatonTestHost.StartAsync(h => h.Config["Baton"]!["Memory"] = new JsonObject { ["IdleTrimAfter"] = "00:00:00" });
        await using var on = await BatonTestHost.StartAsync(h => h.Config["Baton"]!["Memory"] = new JsonObject { ["IdleTrimAfter"] = "00:00:05.500" });

        await on.Baton.WaitForEventAsync(BatonEventIds.MemoryTrimmed, BatonTestHost.Timeout);

        Assert.DoesNotContain(off.Baton.Events, e => e.EventId == BatonEventIds.MemoryTrimmed);
    }

    private static TimeSpan At(double seconds) => TimeSpan.FromSeconds(seconds);

    private static double Number(Baton.Testing.LogEvent e, string key) => double.Parse(e.Get(key)!, CultureInfo.InvariantCulture);
}
