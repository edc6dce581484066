using System.Net;
using Baton.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Baton.FunctionalTests.Upstreams;

/// <summary><c>TryTimeout</c>: a destination that never answers costs an idempotent request one try, not the request.</summary>
public class TryTimeoutTests
{
    [Fact]
    public async Task DestinationThatNeverAnswers_GetsRetriedElsewhereAndPostGets504()
    {
        await using var hang = await HangingUpstream.StartAsync();
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            UpstreamRig.Destinations(h, ("hang", hang.Url), ("b", h.Upstreams[0].Url));
            var policy = UpstreamRig.Policy(h);
            policy["TryTimeout"] = "00:00:02"; // long enough for a busy machine, short for a hanging destination
            policy["RetryOn"] = "AlwaysSafe, Timeout";
        }, upstreams: 1);
        using var client = Clients.Http1(TimeSpan.FromSeconds(20));

        // Round robin: every other GET meets the hanging destination first, times out there and is retried.
        for (int i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync(new Uri(host.PublicUri, "whoami"));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {string.Join(" | ", host.Baton.Output.TakeLast(6))}");
            Assert.Equal("upstream-a", await response.Content.ReadAsStringAsync());
        }

        Assert.True(hang.Arrived >= 2, $"{hang.Arrived} request(s) reached the hanging destination");

        // A POST may have been processed where it timed out: not retried, 504.
        HttpStatusCode status = HttpStatusCode.OK;
        for (int i = 0; i < 4 && status == HttpStatusCode.OK; i++)
        {
            using var response = await client.PostAsync(new Uri(host.PublicUri, "echo"), new StringContent("x"));
            status = response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        await UpstreamRig.WaitForNotRetriedAsync(host, 1);
        var notRetried = Assert.Single(UpstreamRig.NotRetried(host));
        Assert.Equal("try_timeout", notRetried.Get("Failure"));
        Assert.Equal("method not idempotent", notRetried.Get("Why"));
    }

    /// <summary>Accepts requests and answers none of them until it stops.</summary>
    private sealed class HangingUpstream : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly CancellationTokenSource _stop = new();
        private int _arrived;

        private HangingUpstream(WebApplication app) => _app = app;

        public int Arrived => Volatile.Read(ref _arrived);

        public string Url { get; private set; } = "";

        public static async Task<HangingUpstream> StartAsync()
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var upstream = new HangingUpstream(app);
            app.Run(async context =>
            {
                Interlocked.Increment(ref upstream._arrived);
                await Task.Delay(Timeout.Infinite, upstream._stop.Token).ContinueWith(_ => { });
            });
            await app.StartAsync();
            upstream.Url = app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/";
            return upstream;
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _app.StopAsync();
            await _app.DisposeAsync();
            _stop.Dispose();
        }
    }
}
