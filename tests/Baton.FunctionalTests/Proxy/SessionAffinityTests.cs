using System.Net;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Proxy;

/// <summary>Session affinity: the cookie is encrypted with the process's key (made on first use) and pins the destination.</summary>
public class SessionAffinityTests
{
    [Fact]
    public async Task AffinityCookie_PinsTheDestination()
    {
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            var cluster = (JsonObject)h.Config["ReverseProxy"]!["Clusters"]!["app"]!;
            var destinations = new JsonObject();
            foreach (var u in h.Upstreams)
            {
                destinations[u.Name] = new JsonObject { ["Address"] = u.Url };
            }

            cluster["Destinations"] = destinations;
            cluster["LoadBalancingPolicy"] = "RoundRobin";
            cluster["SessionAffinity"] = new JsonObject { ["Enabled"] = true, ["Policy"] = "Cookie", ["AffinityKeyName"] = "baton-affinity" };
        }, upstreams: 2);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(20) };

        using var first = await client.GetAsync(new Uri(host.PublicUri, "whoami"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var pinned = await first.Content.ReadAsStringAsync();
        var cookie = Assert.Single(first.Headers.GetValues("Set-Cookie"), c => c.StartsWith("baton-affinity=", StringComparison.Ordinal)).Split(';')[0];
        Assert.True(cookie.Length > "baton-affinity=".Length + 8, cookie);

        for (int i = 0; i < 6; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(host.PublicUri, "whoami"));
            request.Headers.Add("Cookie", cookie);
            using var response = await client.SendAsync(request);
            Assert.Equal(pinned, await response.Content.ReadAsStringAsync());
        }
    }
}
