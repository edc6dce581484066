using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Baton.FunctionalTests.Proxy;

/// <summary>Forwarding through a real Baton to real upstreams: bodies both ways, streaming, balancing, upstream errors, hop-by-hop headers.</summary>
public class ProxyBasicsTests
{
    [Fact]
    public async Task Get_IsForwardedToTheUpstream()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();
        var response = await client.GetAsync(new Uri(host.PublicUri, "whoami"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version11, response.Version);
        Assert.Equal("upstream-a", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Post_OneMegabyteBody_IsEchoedByteForByte()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();
        var body = RandomNumberGenerator.GetBytes(1024 * 1024);

        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var response = await client.PostAsync(new Uri(host.PublicUri, "echo"), content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Post_ChunkedRequestBody_IsEchoed()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();
        var body = RandomNumberGenerator.GetBytes(256 * 1024);

        // No Content-Length: the client sends Transfer-Encoding: chunked.
        using var content = new StreamContent(new UnknownLengthStream(body));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.PublicUri, "echo")) { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("public")]
    [InlineData("h2c")]
    public async Task StreamedResponse_FirstChunkReachesTheClientWhileTheUpstreamIsStillWriting(string listener)
    {
        // The upstream writes one line, flushes, and holds the body open until the test has read
        // that line through Baton: a proxy that buffered the body would never deliver it.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await TestUpstream.StartAsync(async ctx =>
        {
            await ctx.Response.WriteAsync("first\n", ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            await release.Task.WaitAsync(BatonTestHost.Timeout, ctx.RequestAborted);
            await ctx.Response.WriteAsync("last\n", ctx.RequestAborted);
        });
        await using var host = await BatonTestHost.StartAsync(h =>
            Destinations(h, "app")["upstream-a"]!["Address"] = upstream.Url);
        var timeout = TimeSpan.FromSeconds(10);
        using var client = listener == "h2c" ? Clients.H2c(timeout) : Clients.Http1(timeout);
        using var deadline = new CancellationTokenSource(timeout);

        using var response = await client.GetAsync(new Uri($"http://{host.Address(listener)}/stream"), HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (listener == "public")
        {
            Assert.True(response.Headers.TransferEncodingChunked, "an HTTP/1.1 response of unknown length should be chunked");
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(deadline.Token));
        Assert.Equal("first", await reader.ReadLineAsync(deadline.Token));
        release.SetResult();
        Assert.Equal("last", await reader.ReadLineAsync(deadline.Token));
        Assert.Null(await reader.ReadLineAsync(deadline.Token));
    }

    [Fact]
    public async Task DemoStream_ArrivesWholeAndInOrder()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();

        var body = await client.GetStringAsync(new Uri(host.PublicUri, "stream?chunks=5&ms=10"));

        Assert.Equal("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n", body);
    }

    [Fact]
    public async Task RoundRobin_AlternatesBetweenTwoUpstreams()
    {
        await using var host = await BatonTestHost.StartAsync(upstreams: 2);
        using var client = Clients.Http1();

        var names = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            names.Add(await client.GetStringAsync(new Uri(host.PublicUri, "whoami")));
        }

        Assert.Equal(["upstream-a", "upstream-b"], names.Distinct().Order());
        for (int i = 1; i < names.Count; i++)
        {
            Assert.NotEqual(names[i - 1], names[i]);
        }
    }

    [Fact]
    public async Task UpstreamDown_Returns502()
    {
        int closed = FreePorts.Reserve();
        await using var host = await BatonTestHost.StartAsync(h =>
            Destinations(h, "app")["upstream-a"]!["Address"] = $"http://127.0.0.1:{closed}/");
        using var client = Clients.Http1();

        var response = await client.GetAsync(new Uri(host.PublicUri, "whoami"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Upstream"));
    }

    [Fact]
    public async Task UpstreamSlowerThanActivityTimeout_Returns504()
    {
        await using var host = await BatonTestHost.StartAsync(h =>
            Cluster(h, "app")["HttpRequest"] = new JsonObject { ["ActivityTimeout"] = "00:00:00.500" });
        using var client = Clients.Http1();

        var response = await client.GetAsync(new Uri(host.PublicUri, "slow?ms=10000"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
    }

    [Fact]
    public async Task HopByHopHeaders_AreNotForwardedEitherWay()
    {
        await using var upstream = await TestUpstream.StartHeaderEchoAsync();
        await using var host = await BatonTestHost.StartAsync(h =>
            Destinations(h, "app")["upstream-a"]!["Address"] = upstream.Url);
        using var client = Clients.Http1();

        using var request = new HttpRequestMessage(HttpMethod.Get, host.PublicUri);
        request.Headers.Connection.Add("keep-alive");
        request.Headers.Add("Keep-Alive", "timeout=5");
        request.Headers.Add("Proxy-Connection", "keep-alive");
        request.Headers.Add("X-End-To-End", "kept");
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = JsonSerializer.Deserialize<Dictionary<string, string>>(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("kept", seen.GetValueOrDefault("x-end-to-end"));
        Assert.Contains("127.0.0.1", seen.GetValueOrDefault("x-forwarded-for"));
        foreach (var hop in new[] { "connection", "keep-alive", "proxy-connection" })
        {
            Assert.False(seen.ContainsKey(hop), $"the upstream received the hop-by-hop header {hop}: {seen.GetValueOrDefault(hop)}");
        }

        Assert.Equal(["kept"], response.Headers.GetValues("X-Upstream-End-To-End"));
        Assert.False(response.Headers.Contains("Keep-Alive"), "the client received the upstream's Keep-Alive header");
    }

    private static JsonObject Cluster(BatonTestHost host, string id) => (JsonObject)host.Config["ReverseProxy"]!["Clusters"]![id]!;

    private static JsonObject Destinations(BatonTestHost host, string cluster) => (JsonObject)Cluster(host, cluster)["Destinations"]!;

    /// <summary>A readable stream that does not report its length, so the client must chunk it.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
