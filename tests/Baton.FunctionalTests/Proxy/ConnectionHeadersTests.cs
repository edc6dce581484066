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

        // The issue's own example, "Connection: close, X-Secret": Kestrel replaces a value whose
        // only option is close, keep-alive or upgrade by its constant before any middleware runs.
        using var request = new HttpRequestMessage(HttpMethod.Get, host.PublicUri);
        request.Headers.Connection.Add("close");
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
    public async Task Http10KeepAlive_NamedHeadersRemovedPerRequest_NextRequestOnTheConnectionUnaffected()
    {
        // Content-Length on the response: without it an HTTP/1.0 response ends with the connection.
        await using var upstream = await TestUpstream.StartAsync(ctx =>
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()));
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength = body.Length;
            return ctx.Response.Body.WriteAsync(body).AsTask();
        });
        await using var host = await BatonTestHost.StartAsync(h =>
            ((JsonObject)h.Config["ReverseProxy"]!["Clusters"]!["app"]!["Destinations"]!)["upstream-a"]!["Address"] = upstream.Url);
        using var raw = await RawHttp1Connection.ConnectAsync(host.PublicUri, BatonTestHost.Timeout);

        // 1. HTTP/1.0 keep-alive with a nominated header (Kestrel collapses the value to "keep-alive").
        var first = await raw.GetAsync("/", BatonTestHost.Timeout, "Connection: Keep-Alive, X-Secret\r\nX-Secret: 1\r\n", "HTTP/1.0");
        Assert.Equal(200, first.Status);
        Assert.False(first.ConnectionClose, "an HTTP/1.0 keep-alive request must keep its connection");
        Assert.False(Seen(first).ContainsKey("x-secret"), first.Body);

        // 2. Same connection, nothing nominated: X-Secret is end-to-end now and must arrive.
        var second = await raw.GetAsync("/", BatonTestHost.Timeout, "Connection: keep-alive\r\nX-Secret: 2\r\n", "HTTP/1.0");
        Assert.Equal("2", Seen(second).GetValueOrDefault("x-secret"));

        // 3. HTTP/1.1 on the same connection, the option and the name on two lines (collapsed too).
        var third = await raw.GetAsync("/", BatonTestHost.Timeout, "Connection: keep-alive\r\nConnection: X-Secret\r\nX-Secret: 3\r\nX-Kept: 3\r\n");
        Assert.False(Seen(third).ContainsKey("x-secret"), third.Body);
        Assert.Equal("3", Seen(third).GetValueOrDefault("x-kept"));

        // 4. A first line equal to the previous request's value (Kestrel reuses that string instead of
        //    decoding it), then an option that collapses the whole header.
        var plain = await raw.GetAsync("/", BatonTestHost.Timeout, "Connection: X-Other\r\nX-Other: 4\r\n");
        Assert.False(Seen(plain).ContainsKey("x-other"), plain.Body);
        var reused = await raw.GetAsync("/", BatonTestHost.Timeout, "Connection: X-Other\r\nConnection: keep-alive\r\nX-Other: 5\r\n");
        Assert.False(Seen(reused).ContainsKey("x-other"), reused.Body);

        // 5. The issue's example on the wire, which ends the connection.
        var last = await raw.GetAsync("/", BatonTestHost.Timeout, "Connection: close, X-Secret\r\nX-Secret: 4\r\n");
        Assert.False(Seen(last).ContainsKey("x-secret"), last.Body);
        Assert.Equal(200, last.Status);
        Assert.True(last.ConnectionClose, "Connection: close must still close the connection");
    }

    private static Dictionary<string, string> Seen(RawHttpResponse response)
        => JsonSerializer.Deserialize<Dictionary<string, string>>(response.Body)!;

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
