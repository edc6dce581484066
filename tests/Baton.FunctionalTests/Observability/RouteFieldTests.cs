using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Observability;

/// <summary>YARP's route fields that need middleware behind them: request timeouts, rate limiting, CORS.</summary>
public sealed class RouteFieldTests
{
    [Fact]
    public async Task RouteTimeout_Answers504AtTheTimeout_AndTimeoutPolicyToo()
    {
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            ((JsonObject)h.Config["Baton"]!)["TimeoutPolicies"] = new JsonObject { ["short"] = new JsonObject { ["Timeout"] = "00:00:01" } };
            var routes = h.Config["ReverseProxy"]!["Routes"]!;
            routes["slow"] = new JsonObject { ["ClusterId"] = "app", ["Timeout"] = "00:00:01", ["Match"] = new JsonObject { ["Path"] = "/slow" } };
            routes["policy"] = new JsonObject
            {
                ["ClusterId"] = "app", ["TimeoutPolicy"] = "short", ["Match"] = new JsonObject { ["Path"] = "/policy/{**rest}" },
                ["Transforms"] = new JsonArray(new JsonObject { ["PathRemovePrefix"] = "/policy" }),
            };
        });
        using var client = Clients.Http1();

        var watch = Stopwatch.StartNew();
        var slow = await client.GetAsync(new Uri(host.PublicUri, "/slow?ms=10000"));
        var elapsed = watch.Elapsed;
        Assert.Equal(HttpStatusCode.GatewayTimeout, slow.StatusCode);
        Assert.InRange(elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));

        var policy = await client.GetAsync(new Uri(host.PublicUri, "/policy/slow?ms=10000"));
        Assert.Equal(HttpStatusCode.GatewayTimeout, policy.StatusCode);

        // A route without a timeout is not affected.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(host.PublicUri, "/whoami"))).StatusCode);
    }

    [Fact]
    public async Task RateLimitedRoutes_Answer429WithRetryAfter_ForEveryLimiterKind()
    {
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            ((JsonObject)h.Config["Baton"]!)["RateLimiterPolicies"] = new JsonObject
            {
                ["fixed"] = new JsonObject { ["Kind"] = "FixedWindow", ["PermitLimit"] = 2, ["Window"] = "00:01:00" },
                ["sliding"] = new JsonObject { ["Kind"] = "SlidingWindow", ["PermitLimit"] = 2, ["Window"] = "00:01:00", ["SegmentsPerWindow"] = 4 },
                ["bucket"] = new JsonObject { ["Kind"] = "TokenBucket", ["TokenLimit"] = 2, ["TokensPerPeriod"] = 1, ["ReplenishmentPeriod"] = "00:00:30" },
                ["one"] = new JsonObject { ["Kind"] = "Concurrency", ["PermitLimit"] = 1 },
            };
            var routes = h.Config["ReverseProxy"]!["Routes"]!;
            foreach (var policy in new[] { "fixed", "sliding", "bucket" })
            {
                routes[policy] = new JsonObject { ["ClusterId"] = "app", ["RateLimiterPolicy"] = policy, ["Match"] = new JsonObject { ["Path"] = $"/{policy}/{{**rest}}" }, ["Transforms"] = new JsonArray(new JsonObject { ["PathRemovePrefix"] = $"/{policy}" }) };
            }

            routes["one"] = new JsonObject { ["ClusterId"] = "app", ["RateLimiterPolicy"] = "one", ["Match"] = new JsonObject { ["Path"] = "/slow" } };
        });
        using var client = Clients.Http1();

        foreach (var policy in new[] { "fixed", "sliding", "bucket" })
        {
            var uri = new Uri(host.PublicUri, $"/{policy}/whoami");
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(uri)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(uri)).StatusCode);
            var refused = await client.GetAsync(uri);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 60);
        }

        // Concurrency: one request at a time; a second one while the first runs is refused.
        using var other = Clients.Http1();
        var held = client.GetAsync(new Uri(host.PublicUri, "/slow?ms=3000"));
        HttpResponseMessage second;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        do
        {
            second = await other.GetAsync(new Uri(host.PublicUri, "/slow?ms=1"));
        }
        while (second.StatusCode == HttpStatusCode.OK && !held.IsCompleted && DateTime.UtcNow < deadline);
        Assert.False(held.IsCompleted, "the held request ended before a second one was refused");
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("1", second.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.OK, (await held).StatusCode);
    }

    [Fact]
    public async Task CorsPolicy_AnswersPreflight_AndAddsHeadersForAllowedOriginsOnly()
    {
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            ((JsonObject)h.Config["Baton"]!)["CorsPolicies"] = new JsonObject
            {
                ["web"] = new JsonObject { ["Origins"] = new JsonArray("https://app.example"), ["Methods"] = new JsonArray("GET", "PUT"), ["MaxAge"] = "00:10:00" },
            };
            ((JsonObject)h.Config["ReverseProxy"]!["Routes"]!["all"]!)["CorsPolicy"] = "web";
        });
        using var client = Clients.Http1();

        var preflight = new HttpRequestMessage(HttpMethod.Options, new Uri(host.PublicUri, "/whoami"));
        preflight.Headers.Add("Origin", "https://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "PUT");
        var answer = await client.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("https://app.example", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("PUT", answer.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Equal("600", answer.Headers.GetValues("Access-Control-Max-Age").Single());

        var allowed = new HttpRequestMessage(HttpMethod.Get, new Uri(host.PublicUri, "/whoami"));
        allowed.Headers.Add("Origin", "https://app.example");
        var ok = await client.SendAsync(allowed);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("https://app.example", ok.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var foreign = new HttpRequestMessage(HttpMethod.Get, new Uri(host.PublicUri, "/whoami"));
        foreign.Headers.Add("Origin", "https://evil.example");
        var refused = await client.SendAsync(foreign);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
