using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using static Baton.FunctionalTests.Upstreams.MixedLoad;

namespace Baton.FunctionalTests.Upstreams;

/// <summary>
/// Lossless deploys of the application behind Baton: two upstream instances restarted one after
/// the other while GETs (kept-alive and new connections) and POSTs (below and above the 64 KiB
/// replay buffer) run through Baton's default config.
/// </summary>
public class RollingRestartTests
{
    private const int Rounds = 3;

    [Fact]
    public async Task PlainUpstreams_RestartedInTurn_OnlyRequestsTheRulesForbidRetryingFail()
    {
        // Resets before any response byte retried too (opt-in), so that what remains is what the method forbids.
        await using var host = await BatonTestHost.StartAsync(h => UpstreamRig.Policy(h)["RetryOn"] = "AlwaysSafe, Reset", upstreams: 2);
        var load = new MixedLoad(host.PublicUri);
        await using (load)
        {
            await load.WhenEachKindServedAsync(20);
            for (int round = 0; round < Rounds; round++)
            {
                for (int i = 0; i < host.Upstreams.Count; i++)
                {
                    // A plain upstream: graceful stop (idle keep-alive connections closed, connections refused while down), then back on its port.
                    var old = host.Upstreams[i];
                    await old.DisposeAsync();
                    int before = load.Total;
                    await WaitAsync(() => load.Total >= before + 100);
                    host.Upstreams[i] = await DemoUpstream.StartAsync(old.Name, old.Port);
                    await load.WhenEachKindServedAsync(load.Counts.Values.Min(c => c.Ok) + 20);
                }
            }
        }

        // Every failure the client saw is one Baton logged as not retried, for a reason the rules give.
        int failed = load.Counts.Values.Sum(c => c.Failed);
        await UpstreamRig.WaitForNotRetriedAsync(host, failed);
        var notRetried = UpstreamRig.NotRetried(host).ToList();
        string why = $"{load.Summary()}; not retried: {string.Join(" | ", notRetried.Select(e => e.Message).Take(5))}";
        Assert.True(load.Counts[LoadKind.KeepAliveGet].Failed == 0, why);
        Assert.True(load.Counts[LoadKind.NewConnectionGet].Failed == 0, why);
        Assert.True(failed == notRetried.Count, why);
        Assert.All(notRetried, e =>
        {
            Assert.Equal("POST", e.Get("Method"));
            Assert.Contains(e.Get("Why"), new[] { "method not idempotent", "body larger than BufferBodyBytes was sent" });
        });

        // Connections were refused while an instance was down (and those requests went to the other one).
        Assert.Contains(host.Baton.Events, e => e.EventId == Hosting.Diagnostics.BatonEventIds.DestinationEjected && e.Get("Reason") == "connecting failed");
    }

    [Fact]
    public async Task SampleApps_RestartedInTurn_NothingFails()
    {
        await using var a = await SampleApp.StartAsync("a", "--grace", "00:00:00.500", "--drain", "00:00:05");
        await using var b = await SampleApp.StartAsync("b", "--grace", "00:00:00.500", "--drain", "00:00:05");
        await using var host = await BatonTestHost.StartAsync(h => UpstreamRig.Destinations(h, ("a", a.Url), ("b", b.Url)), upstreams: 0);
        var load = new MixedLoad(host.PublicUri);
        await using (load)
        {
            await load.WhenEachKindServedAsync(20);
            for (int round = 0; round < Rounds; round++)
            {
                foreach (var app in new[] { a, b })
                {
                    // The app drains (marker on every response, refusals once its listener closed) and exits 0.
                    Assert.Equal(0, await app.StopAsync());
                    await app.StartAgainAsync();
                    await load.WhenEachKindServedAsync(load.Counts.Values.Min(c => c.Ok) + 20);
                }
            }
        }

        var notRetried = UpstreamRig.NotRetried(host).Select(e => e.Message).Take(5);
        Assert.True(load.Counts.Values.All(c => c.Failed == 0), $"{load.Summary()}; not retried: {string.Join(" | ", notRetried)}; baton: {string.Join("\n", host.Baton.Output.Where(l => l.Contains("\"LogLevel\":\"Warning\"", StringComparison.Ordinal)).Take(3))}");
        Assert.Contains(host.Baton.Events, e => e.EventId == Hosting.Diagnostics.BatonEventIds.DestinationEjected && e.Get("Reason") == "it is draining");
    }

    internal static async Task WaitAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(BatonTestHost.Timeout);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
