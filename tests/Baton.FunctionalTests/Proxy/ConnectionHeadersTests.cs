using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Proxy;

/// <summary>
/// Issue 11, defect 14 (RFC 9110 §7.6.1): the headers a <c>Connection</c> header names are
/// hop-by-hop and never forwarded — the client's never reach the upstream, the upstream's never
/// reach the client — while what Baton adds (<c>X-Forwarded-For</c>) cannot be stripped that way.
/// </summary>
public class ConnectionHeadersTests
{
    [Fact]
    public async Task HeadersNamedInConnection_AreRemovedBothWays()
    {
        await using var upstream = await TestUpstream.StartAsync(ctx =>
        {
            ctx.Response.Headers.Connection = "X-Upstream-Hop";
            ctx.Response.Headers["X-Upstream-Hop"] = "upstream secret";
            ctx.Response.Headers["X-Upstream-End-To-End"] = "kept";
            return ctx.Response.WriteAsJsonAsync(ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()));
        });
        await using var host = await BatonTestHost.StartAsync(h =>
            ((JsonObject)h.Config["ReverseProxy"]!["Clusters"]!["app"]!["Destinations"]!)["upstream-a"]!["Address"] = upstream.Url);
        using var client = Clients.Http1();

        // No close / keep-alive / upgrade here: Kestrel replaces a Connection value whose only
        // options are one of those by its own constant before any middleware runs (see ConnectionHeaders).
        using var request = new HttpRequestMessage(HttpMethod.Get, host.PublicUri);
        request.Headers.Connection.Add("X-Secret");
        request.Headers.Connection.Add("X-Forwarded-For");
        request.Headers.Add("X-Secret", "client secret");
        request.Headers.Add("X-End-To-End", "kept");
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = JsonSerializer.Deserialize<Dictionary<string, string>>(await response.Content.ReadAsStringAsync())!;
        Assert.False(seen.ContainsKey("x-secret"), $"the upstream received X-Secret, named in Connection: {seen.GetValueOrDefault("x-secret")}");
        Assert.Equal("kept", seen.GetValueOrDefault("x-end-to-end"));
        Assert.Contains("127.0.0.1", seen.GetValueOrDefault("x-forwarded-for"));
        Assert.False(response.Headers.Contains("X-Upstream-Hop"), "the client received X-Upstream-Hop, named in the upstream's Connection");
        Assert.Equal(["kept"], response.Headers.GetValues("X-Upstream-End-To-End"));
    }

    [Fact]
    public async Task TwoConnectionLines_EveryNamedHeaderIsRemoved()
    {
        await using var upstream = await TestUpstream.StartHeaderEchoAsync();
        await using var host = await BatonTestHost.StartAsync(h =>
            ((JsonObject)h.Config["ReverseProxy"]!["Clusters"]!["app"]!["Destinations"]!)["upstream-a"]!["Address"] = upstream.Url);
        using var raw = await RawHttp1Connection.ConnectAsync(host.PublicUri, BatonTestHost.Timeout);

        var response = await raw.GetAsync("/", BatonTestHost.Timeout, "Connection: x-one ,\tX-Two\r\nConnection: X-Three, te\r\nX-One: 1\r\nX-Two: 2\r\nX-Three: 3\r\nX-Four: 4\r\n");

        Assert.Equal(200, response.Status);
        var seen = JsonSerializer.Deserialize<Dictionary<string, string>>(response.Body)!;
        Assert.Equal("4", seen.GetValueOrDefault("x-four"));
        foreach (var named in new[] { "x-one", "x-two", "x-three" })
        {
            Assert.False(seen.ContainsKey(named), $"{named}: {response.Body}");
        }
    }
}
