using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Xunit.Abstractions;
using static Baton.FunctionalTests.Shutdown.ShutdownProbes;

namespace Baton.FunctionalTests.Shutdown;

/// <summary>SIGTERM on a real Baton: grace period, listeners closing, the drain and its end.</summary>
[Collection(ShutdownCollection.Name)]
public class GracefulStopTests
{
    private readonly ITestOutputHelper _output;

    public GracefulStopTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task SigTerm_InFlightSlowRequest_CompletesWithConnectionCloseAndProcessExitsZeroRightAfter()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();
        var exited = ExitTimestamp(host.Baton);
        var slow = Task.Run(async () =>
        {
            var response = await client.GetAsync(new Uri(host.PublicUri, "slow?ms=2000"));
            var body = await response.Content.ReadAsStringAsync();
            return (Response: response, Body: body, Completed: Stopwatch.GetTimestamp());
        });
        await WaitForInFlightAsync(host, 1);

        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        await EventAsync(host.Baton, BatonEventIds.DrainStarted);
        var (response, body, completed) = await slow.WaitAsync(EventTimeout);
        int exitCode = await host.Baton.WaitForExitAsync(EventTimeout);
        long exitedAt = await exited;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("slow done\n", body);
        Assert.True(response.Headers.ConnectionClose, $"expected Connection: close, got: {response.Headers}");
        Assert.Equal(ExitCodes.Success, exitCode);
        var afterResponse = Milliseconds(completed, exitedAt);
        var drained = host.Baton.Events.Single(e => e.EventId == BatonEventIds.DrainCompleted);
        _output.WriteLine($"response complete -> process exit seen: {afterResponse:0.0} ms; Baton's own last-request -> drain completed: {drained.Get("AfterLastMs")}");
        Assert.InRange(afterResponse, -50, 300);
        Assert.Equal("0", drained.Get("Aborted"));
    }

    [Fact]
    public async Task SigTerm_DuringGracePeriod_ReadinessIs503LivenessIs200AndNewRequestsAreServed()
    {
        var grace = TimeSpan.FromSeconds(3);
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            h.Lifecycle["ShutdownGracePeriod"] = Duration(grace);
            h.Listeners["public"]!["HealthEndpoints"] = true;
        });
        using var client = Clients.Http1();
        var admin = host.AdminUri;
        var before = await client.GetAsync(new Uri(admin, "readyz"));
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal("""{"status":"ready"}""", await before.Content.ReadAsStringAsync());

        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        var withdrawn = await EventAsync(host.Baton, BatonEventIds.ReadinessWithdrawn);
        var withdrawnAt = Stopwatch.GetTimestamp();

        foreach (var baseUri in new[] { admin, host.PublicUri })
        {
            using var probe = Clients.Http1();
            var ready = await probe.GetAsync(new Uri(baseUri, "readyz"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("""{"status":"not_ready"}""", await ready.Content.ReadAsStringAsync());
            var live = await probe.GetAsync(new Uri(baseUri, "livez"));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal("""{"status":"alive"}""", await live.Content.ReadAsStringAsync());
            var health = await probe.GetAsync(new Uri(baseUri, "health"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Equal("""{"status":"shutting_down"}""", await health.Content.ReadAsStringAsync());
        }

        using var fresh = Clients.Http1();
        var served = await fresh.GetAsync(new Uri(host.PublicUri, "whoami"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("upstream-a", await served.Content.ReadAsStringAsync());
        Assert.True(served.Headers.ConnectionClose, "responses during the grace period carry Connection: close");
        var status = await StatusAsync(host);
        Assert.Equal("GracePeriod", status.GetProperty("phase").GetString());
        Assert.True(Stopwatch.GetElapsedTime(withdrawnAt) < grace, "the probes must run inside the grace period to mean anything");
        Assert.False(host.Baton.Exited.IsCompleted);

        Assert.Equal(ExitCodes.Success, await WaitForShutdownAsync(host.Baton));
        Assert.Equal("SIGTERM", withdrawn.Get("Source"));
    }

    [Fact]
    public async Task SigTerm_AfterGracePeriod_NewConnectionsAreRefusedAndIdleKeepAliveConnectionsClosed()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Lifecycle["ShutdownGracePeriod"] = Duration(TimeSpan.FromSeconds(1)));
        using var idle = await RawHttp1Connection.ConnectAsync(host.PublicUri, EventTimeout);
        var first = await idle.GetAsync("/whoami", EventTimeout);
        Assert.Equal(200, first.Status);
        Assert.False(first.ConnectionClose, "before SIGTERM the connection is kept alive");

        // A slow request keeps the process draining while the listeners are already closed.
        using var client = Clients.Http1();
        var slow = Task.Run(async () =>
        {
            var response = await client.GetAsync(new Uri(host.PublicUri, "slow?ms=3000"));
            return (response.StatusCode, Completed: Stopwatch.GetTimestamp());
        });
        await WaitForInFlightAsync(host, 1);

        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        await EventAsync(host.Baton, BatonEventIds.ReadinessWithdrawn);
        Assert.Null(await TryConnectAsync(host.PublicUri)); // still accepting in the grace period
        var closed = idle.WaitForCloseAsync(EventTimeout);
        await EventAsync(host.Baton, BatonEventIds.ListenerClosed, e => e.Get("Key") == "public");
        await EventAsync(host.Baton, BatonEventIds.ListenerClosed, e => e.Get("Key") == "h2c");

        Assert.Equal(SocketError.ConnectionRefused, await TryConnectAsync(host.PublicUri));
        Assert.Equal(SocketError.ConnectionRefused, await TryConnectAsync(host.H2cUri));
        Assert.False(slow.IsCompleted, "the listeners must be closed while the slow request still drains");
        Assert.False(host.Baton.Exited.IsCompleted);

        var end = await closed;
        var (slowStatus, slowCompleted) = await slow.WaitAsync(EventTimeout);
        Assert.True(end.Fin, $"the idle keep-alive connection should end with FIN, got {end}");
        Assert.True(end.Timestamp < slowCompleted, "idle connections are closed when the drain starts, not when it ends");
        Assert.Equal(HttpStatusCode.OK, slowStatus);
        Assert.Equal(ExitCodes.Success, await WaitForShutdownAsync(host.Baton));
    }
}
