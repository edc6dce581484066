using System.Net;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Baton.FunctionalTests.Upstreams;

/// <summary>The retry budget: a failing cluster gets at most the budget's share of extra load.</summary>
public class RetryBudgetTests
{
    [Fact]
    public async Task EveryDestinationFailing_RetriesStayWithinTheBudget()
    {
        await using var a = await FailingUpstream.StartAsync();
        await using var b = await FailingUpstream.StartAsync();
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            UpstreamRig.Destinations(h, ("a", a.Url), ("b", b.Url));
            var policy = UpstreamRig.Policy(h);
            policy["RetryOn"] = "AlwaysSafe, Status";
            policy["RetryStatuses"] = new JsonArray(503);
        }, upstreams: 0);

        // 20 clients in a loop: 20 requests in flight, so the budget is max(3, 20 % of 20) = 4 retries in flight.
        const int clients = 20, each = 8;
        using var client = Clients.Http1();
        int answered = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            for (int i = 0; i < each; i++)
            {
                using var response = await client.GetAsync(host.PublicUri);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                Interlocked.Increment(ref answered);
            }
        }));

        // Without a budget every request would be tried 3 times (2 retries each); with it, retries are
        // at most about 4 of every 20 tries in flight at once (each try takes the same 100 ms).
        int tries = a.Requests + b.Requests;
        int retries = tries - answered;
        string why = $"{answered} requests, {tries} tries at the destinations, {retries} retries";
        Assert.True(retries > 0, why);
        Assert.True(retries <= answered * 0.35, why);
        await UpstreamRig.WaitForNotRetriedAsync(host, 1);
        Assert.Contains(UpstreamRig.NotRetried(host), e => e.Get("Why") == "retry budget spent");
    }

    /// <summary>An upstream that answers every request 503 after 100 ms, counting them.</summary>
    private sealed class FailingUpstream : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _requests;

        private FailingUpstream(WebApplication app) => _app = app;

        public int Requests => Volatile.Read(ref _requests);

        public string Url { get; private set; } = "";

        public static async Task<FailingUpstream> StartAsync()
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, lo => lo.Protocols = HttpProtocols.Http1));
            var app = builder.Build();
            var upstream = new FailingUpstream(app);
            app.Run(async context =>
            {
                Interlocked.Increment(ref upstream._requests);
                await Task.Delay(100);
                context.Response.StatusCode = 503;
                await context.Response.WriteAsync("overloaded");
            });
            await app.StartAsync();
            upstream.Url = app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/";
            return upstream;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
