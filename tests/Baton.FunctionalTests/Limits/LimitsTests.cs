using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Limits;

/// <summary>The limits of <c>Baton:Limits</c> and a listener's <c>MaxConnections</c> are what a real client meets.</summary>
public class LimitsTests
{
    [Fact]
    public async Task HeaderLineAndBodyLimits_FromTheFile_Give431_414_413_AndLeaveSmallerRequestsAlone()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Config["Baton"]!["Limits"] = new JsonObject
        {
            ["MaxRequestHeadersTotalSize"] = 2048,
            ["MaxRequestHeaderCount"] = 10,
            ["MaxRequestLineSize"] = 512,
            ["MaxRequestBodySize"] = 1024,
        });

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, Get("/whoami", headerBytes: 1024)));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, await StatusAsync(host, Get("/whoami", headerBytes: 4096)));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, Get("/whoami", headerCount: 5)));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, await StatusAsync(host, Get("/whoami", headerCount: 20)));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, Get("/whoami?" + new string('q', 300))));
        Assert.Equal(HttpStatusCode.RequestUriTooLong, await StatusAsync(host, Get("/whoami?" + new string('q', 1000))));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(host, Post(512)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await StatusAsync(host, Post(4096)));

        // HTTP/2 (h2c listener): the limit is advertised as SETTINGS_MAX_HEADER_LIST_SIZE, and
        // .NET's client refuses to send more than the server said it accepts.
        using var h2 = Clients.H2c();
        using (var small = H2Get(host, 1024))
        {
            Assert.Equal(HttpStatusCode.OK, (await h2.SendAsync(small)).StatusCode);
        }

        using var big = H2Get(host, 4096);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => h2.SendAsync(big));
        Assert.Contains("2048", refused.Message);
    }

    [Fact]
    public async Task RequestHeadersTimeoutAndKeepAliveTimeout_FromTheFile_CloseSlowAndIdleConnections()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Config["Baton"]!["Limits"] = new JsonObject
        {
            ["RequestHeadersTimeout"] = "00:00:02",
            ["KeepAliveTimeout"] = "00:00:02",
        });

        // Headers that never finish: 408 after the timeout (Kestrel's heartbeat is 1 s).
        using (var slow = await ConnectAsync(host.PublicUri))
        {
            var started = Stopwatch.GetTimestamp();
            await slow.SendAsync(Encoding.ASCII.GetBytes("GET /whoami HTTP/1.1\r\nHost: x\r\n"));
            var answer = await ReadUntilCloseAsync(slow);
            var waited = Stopwatch.GetElapsedTime(started);
            Assert.StartsWith("HTTP/1.1 408", answer);
            Assert.InRange(waited, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
        }

        // An idle keep-alive connection: closed by the server after the timeout.
        using var idle = await RawHttp1Connection.ConnectAsync(host.PublicUri, BatonTestHost.Timeout);
        Assert.Equal(200, (await idle.GetAsync("/whoami", BatonTestHost.Timeout)).Status);
        var idleSince = Stopwatch.GetTimestamp();
        var end = await idle.WaitForCloseAsync(BatonTestHost.Timeout);
        Assert.True(end.Fin, $"expected a FIN, got {end}");
        Assert.InRange(Stopwatch.GetElapsedTime(idleSince), TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task MinRequestBodyDataRate_FromTheFile_EndsAnUploadSlowerThanIt()
    {
        await using var held = await Upgrade.HeldUpstream.StartAsync();
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            h.Config["Baton"]!["Limits"] = new JsonObject
            {
                ["MinRequestBodyDataRate"] = new JsonObject { ["BytesPerSecond"] = 1000, ["GracePeriod"] = "00:00:02" },
            };
            held.AddRouteTo(h);
        });

        // A 100 kB upload that trickles 10 bytes every 200 ms (50 bytes/s) to an upstream that
        // waits for it: Kestrel ends it once the grace period is over.
        using var slow = await ConnectAsync(host.PublicUri);
        var started = Stopwatch.GetTimestamp();
        await slow.SendAsync(Encoding.ASCII.GetBytes("POST /held/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"));
        var answer = ReadUntilCloseAsync(slow);
        var chunk = new byte[10];
        while (!answer.IsCompleted && Stopwatch.GetElapsedTime(started) < BatonTestHost.Timeout)
        {
            try
            {
                await slow.SendAsync(chunk);
            }
            catch (SocketException)
            {
                break;
            }

            await Task.WhenAny(answer, Task.Delay(200));
        }

        var text = await answer;
        var waited = Stopwatch.GetElapsedTime(started);
        Assert.StartsWith("HTTP/1.1 408 ", text);
        Assert.InRange(waited, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task MaxConnections_HoldsPerListener_AndFreesASlotWhenAConnectionCloses()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Listeners["limited"] = new JsonObject { ["Address"] = "127.0.0.1:0", ["MaxConnections"] = 2 });
        var limited = new Uri($"http://{host.Address("limited")}/");

        using var first = await RawHttp1Connection.ConnectAsync(limited, BatonTestHost.Timeout);
        using var second = await RawHttp1Connection.ConnectAsync(limited, BatonTestHost.Timeout);
        Assert.Equal(200, (await first.GetAsync("/whoami", BatonTestHost.Timeout)).Status);
        Assert.Equal(200, (await second.GetAsync("/whoami", BatonTestHost.Timeout)).Status);

        // The third is closed before it is served, and said so once.
        using (var third = await RawHttp1Connection.ConnectAsync(limited, BatonTestHost.Timeout))
        {
            var end = await third.WaitForCloseAsync(BatonTestHost.Timeout);
            Assert.True(end.Fin || end.Error == SocketError.ConnectionReset, $"expected the connection closed, got {end}");
        }

        var reached = await host.Baton.WaitForEventAsync(BatonEventIds.ConnectionLimitReached, BatonTestHost.Timeout);
        Assert.Equal("limited", reached.Get("Listener"));
        Assert.Equal("2", reached.Get("Max"));

        // The two open connections keep serving; other listeners are not counted.
        Assert.Equal(200, (await first.GetAsync("/whoami", BatonTestHost.Timeout)).Status);
        using var other = Clients.Http1();
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(new Uri(host.PublicUri, "whoami"))).StatusCode);

        // Closing one frees its slot (the count drops once Baton has seen the close).
        first.Dispose();
        var deadline = Stopwatch.GetTimestamp() + (long)(BatonTestHost.Timeout.TotalSeconds * Stopwatch.Frequency);
        int status = 0;
        while (status != 200 && Stopwatch.GetTimestamp() < deadline)
        {
            using var next = await RawHttp1Connection.ConnectAsync(limited, BatonTestHost.Timeout);
            try
            {
                status = (await next.GetAsync("/whoami", BatonTestHost.Timeout)).Status;
            }
            catch (Exception ex) when (ex is IOException or SocketException)
            {
                await Task.Delay(50);
            }
        }

        Assert.Equal(200, status);
        Assert.Equal(200, (await second.GetAsync("/whoami", BatonTestHost.Timeout)).Status);
    }

    [Fact]
    public async Task Http2StreamLimit_FromTheFile_IsAdvertisedInSettings()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Config["Baton"]!["Limits"] = new JsonObject
        {
            ["Http2"] = new JsonObject { ["MaxStreamsPerConnection"] = 7, ["MaxRequestHeaderFieldSize"] = 4096 },
        });

        await using var h2 = await RawH2cConnection.ConnectAsync(host.H2cUri, BatonTestHost.Timeout);
        var settings = await h2.ServerSettings.WaitAsync(BatonTestHost.Timeout);
        Assert.Equal(7u, settings[3]); // SETTINGS_MAX_CONCURRENT_STREAMS
        Assert.Equal(32768u, settings[6]); // SETTINGS_MAX_HEADER_LIST_SIZE: MaxRequestHeadersTotalSize, Kestrel's default
        Assert.Equal(200, (await h2.GetAsync(1, "/whoami").WaitAsync(BatonTestHost.Timeout)).Status);
    }

    private static HttpRequestMessage Get(string path, int headerBytes = 0, int headerCount = 0)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (headerBytes > 0)
        {
            request.Headers.Add("X-Big", new string('h', headerBytes));
        }

        for (int i = 0; i < headerCount; i++)
        {
            request.Headers.Add($"X-Extra-{i}", "1");
        }

        return request;
    }

    private static HttpRequestMessage H2Get(BatonTestHost host, int headerBytes)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(host.H2cUri, "whoami")) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Add("X-Big", new string('h', headerBytes));
        return request;
    }

    private static HttpRequestMessage Post(int bytes) => new(HttpMethod.Post, "/echo") { Content = new ByteArrayContent(new byte[bytes]) };

    private static async Task<HttpStatusCode> StatusAsync(BatonTestHost host, HttpRequestMessage request)
    {
        // A fresh connection per request: Kestrel closes the connection after a 4xx of this kind.
        using var client = Clients.Http1();
        request.RequestUri = new Uri(host.PublicUri, request.RequestUri!.OriginalString.TrimStart('/'));
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<Socket> ConnectAsync(Uri uri)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(BatonTestHost.Timeout);
        await socket.ConnectAsync(uri.Host, uri.Port, cts.Token);
        return socket;
    }

    private static async Task<string> ReadUntilCloseAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(BatonTestHost.Timeout);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }
}
