using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Observability;

/// <summary>One access-log line per request, with every field, written off the request path; file output reopened on SIGUSR1.</summary>
public sealed class AccessLogTests
{
    [Fact]
    public async Task EveryRequest_GetsOneJsonLine_WithTheRequestRouteUpstreamAndProcessFields()
    {
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            h.AccessLog["Enabled"] = true;
            AddDeadRoute(h);
        });
        using var client = Clients.Http1();

        var ok = new HttpRequestMessage(HttpMethod.Get, new Uri(host.PublicUri, "/?q=1"));
        ok.Headers.Add("User-Agent", "access-test/1");
        ok.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(ok)).StatusCode);
        var echo = await client.PostAsync(new Uri(host.PublicUri, "/echo"), new StringContent("twelve bytes"));
        Assert.Equal("twelve bytes", await echo.Content.ReadAsStringAsync());
        var down = await client.GetAsync(new Uri(host.PublicUri, "/down/x"));
        Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);

        var lines = await AccessLines.WaitAsync(host.Baton, 3);
        Assert.Equal(3, lines.Count);
        var first = lines[0];
        Assert.True(DateTimeOffset.TryParse(first.Text("time"), CultureInfo.InvariantCulture, out _), first.ToString());
        Assert.Equal("127.0.0.1", first.Text("client"));
        Assert.Equal("GET", first.Text("method"));
        Assert.Equal(host.Address("public"), first.Text("host"));
        Assert.Equal("/", first.Text("path"));
        Assert.Equal("?q=1", first.Text("query"));
        Assert.Equal("HTTP/1.1", first.Text("protocol"));
        Assert.Equal("200", first.Text("status"));
        Assert.Equal("0", first.Text("bytes_in"));
        Assert.True(long.Parse(first.Text("bytes_out")!, CultureInfo.InvariantCulture) > 0, first.ToString());
        Assert.True(double.Parse(first.Text("duration_ms")!, CultureInfo.InvariantCulture) > 0, first.ToString());
        Assert.Equal("all", first.Text("route"));
        Assert.Equal("app", first.Text("cluster"));
        Assert.Equal("upstream-a", first.Text("destination"));
        Assert.True(double.Parse(first.Text("upstream_ms")!, CultureInfo.InvariantCulture) > 0, first.ToString());
        Assert.True(double.Parse(first.Text("upstream_ms")!, CultureInfo.InvariantCulture) <= double.Parse(first.Text("duration_ms")!, CultureInfo.InvariantCulture));
        Assert.Equal("0", first.Text("retries"));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", first.Text("trace_id"));
        Assert.Equal("access-test/1", first.Text("user_agent"));
        Assert.Equal(host.Baton.Pid.ToString(CultureInfo.InvariantCulture), first.Text("pid"));
        Assert.Equal("1", first.Text("generation"));

        var post = lines[1];
        Assert.Equal("POST", post.Text("method"));
        Assert.Equal("12", post.Text("bytes_in"));
        Assert.Equal("12", post.Text("bytes_out"));
        Assert.Matches("^[0-9a-f]{32}$", post.Text("trace_id"));

        var failed = lines[2];
        Assert.Equal("502", failed.Text("status"));
        Assert.Equal("down", failed.Text("route"));
        Assert.Equal("dead", failed.Text("cluster"));
        Assert.Equal("gone", failed.Text("destination"));
        Assert.NotNull(failed.Text("upstream_ms"));
    }

    [Fact]
    public async Task UpstreamDown_IsOneWarningLine_WithDestinationKindAndElapsed_AndNoStackTrace()
    {
        await using var host = await BatonTestHost.StartAsync(AddDeadRoute);
        using var client = Clients.Http1();

        var down = await client.GetAsync(new Uri(host.PublicUri, "/down/x"));

        Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
        var e = await host.Baton.WaitForEventAsync(BatonEventIds.UpstreamError, BatonTestHost.Timeout);
        Assert.Equal("Warning", e.Level);
        Assert.Contains("dead/gone", e.Get("Destination"));
        Assert.Equal("Request", e.Get("Error"));
        Assert.True(double.Parse(e.Get("ElapsedMs")!, CultureInfo.InvariantCulture) >= 0);
        Assert.Contains("Connection refused", e.Get("Reason"));
        Assert.DoesNotContain(" at ", e.Message);
        Assert.True(e.Message.Length < 300, e.Message);
        Assert.DoesNotContain(host.Baton.Output, l => l.Contains("Yarp.ReverseProxy.Forwarder.HttpForwarder", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TextFormatToAFile_IsReopenedOnSigusr1_AsLogrotateExpects()
    {
        await using var host = await BatonTestHost.CreateAsync();
        var path = Path.Combine(host.Work.FullName, "access.log");
        host.AccessLog["Enabled"] = true;
        host.AccessLog["Format"] = "text";
        host.AccessLog["Path"] = path;
        await host.StartBatonAsync();
        using var client = Clients.Http1();

        (await client.GetAsync(new Uri(host.PublicUri, "/whoami?n=first"))).EnsureSuccessStatusCode();
        await WaitForFileLineAsync(path, "n=first");
        File.Move(path, path + ".1");
        Assert.True(host.Baton.Signal(Signals.SIGUSR1));
        await host.Baton.WaitForEventAsync(BatonEventIds.AccessLogReopened, BatonTestHost.Timeout);
        (await client.GetAsync(new Uri(host.PublicUri, "/whoami?n=second"))).EnsureSuccessStatusCode();

        var line = await WaitForFileLineAsync(path, "n=second");
        Assert.Matches("""^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /whoami\?n=second HTTP/1\.1" 200 \d+ "-" "-" host=\S+ in=0 ms=[\d.]+ route=all cluster=app dest=upstream-a upstream_ms=[\d.]+ retries=0 trace=[0-9a-f]{32} rid=[0-9a-f]{32} pid=\d+ gen=1$""", line);
        Assert.Single(File.ReadAllLines(path + ".1"));
        Assert.Single(File.ReadAllLines(path));
        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        Assert.Equal(0, await host.Baton.WaitForExitAsync(BatonTestHost.Timeout));
    }

    /// <summary>A route "down" (/down/...) to cluster "dead", whose one destination "gone" refuses connections.</summary>
    internal static void AddDeadRoute(BatonTestHost host)
    {
        var proxy = host.Config["ReverseProxy"]!;
        proxy["Routes"]!["down"] = new JsonObject { ["ClusterId"] = "dead", ["Match"] = new JsonObject { ["Path"] = "/down/{**rest}" } };
        proxy["Clusters"]!["dead"] = new JsonObject { ["Destinations"] = new JsonObject { ["gone"] = new JsonObject { ["Address"] = $"http://127.0.0.1:{FreePorts.Reserve()}/" } } };
    }

    private static async Task<string> WaitForFileLineAsync(string path, string contains)
    {
        var deadline = DateTime.UtcNow + BatonTestHost.Timeout;
        while (true)
        {
            if (File.Exists(path) && File.ReadAllLines(path).FirstOrDefault(l => l.Contains(contains, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no line with {contains} in {path}");
            await Task.Delay(20);
        }
    }
}
