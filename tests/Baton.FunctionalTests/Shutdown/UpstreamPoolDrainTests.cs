using System.Net;
using System.Text.Json.Nodes;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Xunit.Abstractions;
using static Baton.FunctionalTests.Shutdown.ShutdownProbes;

namespace Baton.FunctionalTests.Shutdown;

/// <summary>Upstream connection pools after the drain, seen from the upstream's side of the socket.</summary>
[Collection(ShutdownCollection.Name)]
public class UpstreamPoolDrainTests
{
    private readonly ITestOutputHelper _output;

    public UpstreamPoolDrainTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Drain_IdleUpstreamConnections_EndWithFinWhileBatonIsStillRunning()
    {
        await using var upstream = RawTcpUpstream.Start();
        await using var host = await BatonTestHost.StartAsync(h =>
            h.Config["ReverseProxy"]!["Clusters"]!["app"]!["Destinations"] = new JsonObject { ["raw"] = new JsonObject { ["Address"] = upstream.Url } },
            upstreams: 0);
        upstream.PeerPid = host.Baton.Pid;

        // Concurrent requests open more than one upstream connection; all end up idle in the pool.
        using var client = Clients.Http1();
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.GetAsync(new Uri(host.PublicUri, "x"))));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var connections = upstream.Connections;
        Assert.NotEmpty(connections);
        Assert.All(connections, c => Assert.False(c.Ended.IsCompleted, "idle upstream connections stay pooled while Baton runs"));

        Assert.True(host.Baton.Signal(Signals.SIGTERM));

        // The FIN comes from the drain's pool disposal, not from the kernel closing a dead process's
        // sockets: it has reached the upstream by the time Baton logs the disposal. (Whether Baton
        // still runs when the upstream reads the FIN is no proof: the native executable exits
        // within a millisecond or two of its drain, sooner than a busy test host reads a socket.)
        var disposed = await host.Baton.WaitForEventAsync(BatonEventIds.UpstreamPoolsDrained, EventTimeout);
        var arrived = connections.Select(c => c.EndArrived).ToArray();
        var ends = await Task.WhenAll(connections.Select(c => c.Ended.WaitAsync(EventTimeout)));
        Assert.Equal(ExitCodes.Success, await WaitForShutdownAsync(host.Baton));
        _output.WriteLine($"{connections.Count} upstream connection(s): {string.Join(", ", ends.Select(e => $"{e.End} (Baton running: {e.PeerRunning})"))}");
        Assert.All(ends, e => Assert.True(e.End.Fin, $"the upstream saw {e.End}, not FIN"));
        Assert.All(arrived, a => Assert.True(a, "the upstream connection was still open when Baton logged that its pools were disposed"));
        Assert.Contains("pool(s) disposed", disposed.Get("Summary"));
    }
}
