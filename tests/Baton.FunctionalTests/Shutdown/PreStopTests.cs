using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Xunit.Abstractions;
using static Baton.FunctionalTests.Shutdown.ShutdownProbes;

namespace Baton.FunctionalTests.Shutdown;

/// <summary>Kubernetes preStop through the admin endpoint, followed by the kubelet's SIGTERM.</summary>
[Collection(ShutdownCollection.Name)]
public class PreStopTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    private readonly ITestOutputHelper _output;

    public PreStopTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task PreStop_WithdrawsReadinessWaitsTheGracePeriodThenDrains_AndALaterSigTermIsNoFastStop()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Lifecycle["ShutdownGracePeriod"] = Duration(Grace));
        using var client = Clients.Http1();
        var slow = client.GetAsync(new Uri(host.PublicUri, "slow?ms=4000"));
        await WaitForInFlightAsync(host, 1);

        using var admin = Clients.Admin();
        long preStopSent = Stopwatch.GetTimestamp();
        var preStop = admin.PostAsync(new Uri(host.AdminUri, "prestop"), null);
        var withdrawn = await EventAsync(host.Baton, BatonEventIds.ReadinessWithdrawn);
        Assert.Equal("prestop", withdrawn.Get("Source"));

        using (var probe = Clients.Http1())
        {
            var ready = await probe.GetAsync(new Uri(host.AdminUri, "readyz"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("""{"status":"not_ready"}""", await ready.Content.ReadAsStringAsync());
            var served = await probe.GetAsync(new Uri(host.PublicUri, "whoami"));
            Assert.Equal(HttpStatusCode.OK, served.StatusCode); // still serving in the grace period
        }

        Assert.False(preStop.IsCompleted, "preStop returns only after the grace period");
        var response = await preStop.WaitAsync(EventTimeout);
        var preStopTook = Stopwatch.GetElapsedTime(preStopSent);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("draining", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(host.Baton.Pid, body.RootElement.GetProperty("pid").GetInt32());
        var drainStarted = await EventAsync(host.Baton, BatonEventIds.DrainStarted);
        Assert.True(drainStarted.Received - withdrawn.Received >= Grace - TimeSpan.FromMilliseconds(100),
            $"the drain began {(drainStarted.Received - withdrawn.Received).TotalMilliseconds:0} ms after readiness was withdrawn");

        // The kubelet sends SIGTERM after preStop returns: the same stop, not a second one.
        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        await EventAsync(host.Baton, BatonEventIds.SignalReceived, e => e.Get("Signal") == "SIGTERM");
        var slowResponse = await slow.WaitAsync(EventTimeout);
        Assert.Equal(HttpStatusCode.OK, slowResponse.StatusCode);
        Assert.Equal(ExitCodes.Success, await WaitForShutdownAsync(host.Baton));
        Assert.DoesNotContain(host.Baton.Events, e => e.EventId == BatonEventIds.FastStopRequested);
        Assert.DoesNotContain(host.Baton.Events, e => e.EventId == BatonEventIds.PhaseChanged && e.Get("Phase") == "Aborting");
        _output.WriteLine($"POST /prestop took {preStopTook.TotalMilliseconds:0} ms (grace {Grace.TotalMilliseconds:0} ms)");
        Assert.InRange(preStopTook, Grace - TimeSpan.FromMilliseconds(100), Grace + TimeSpan.FromSeconds(2));
    }
}
