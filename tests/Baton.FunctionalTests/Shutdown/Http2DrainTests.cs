using System.Diagnostics;
using System.Net;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Xunit.Abstractions;
using static Baton.FunctionalTests.Shutdown.ShutdownProbes;

namespace Baton.FunctionalTests.Shutdown;

/// <summary>HTTP/2 (h2c) clients during a drain: GOAWAY, in-flight streams, silent clients.</summary>
[Collection(ShutdownCollection.Name)]
public class Http2DrainTests
{
    private readonly ITestOutputHelper _output;

    public Http2DrainTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task SigTerm_StreamInFlight_GetsGoAwayAndTheStreamCompletes()
    {
        await using var host = await BatonTestHost.StartAsync();
        var exited = ExitTimestamp(host.Baton);
        await using var h2 = await RawH2cConnection.ConnectAsync(host.H2cUri, EventTimeout);
        var stream = h2.GetAsync(1, "/slow?ms=1500");
        await WaitForInFlightAsync(host, 1);

        Assert.True(host.Baton.Signal(Signals.SIGTERM));

        var goAway = await h2.FirstGoAway.WaitAsync(EventTimeout);
        Assert.Equal(0, goAway.ErrorCode); // NO_ERROR: a graceful GOAWAY
        Assert.False(stream.IsCompleted, "GOAWAY comes while the stream is still running");
        var result = await stream.WaitAsync(EventTimeout);
        Assert.True(result.EndStream, $"stream 1 was reset ({result.ResetCode}) instead of completing");
        Assert.Equal(200, result.Status);
        Assert.Equal("slow done\n", result.Body);
        Assert.True(goAway.LastStreamId >= 1, $"GOAWAY's last stream id {goAway.LastStreamId} must keep stream 1");

        // This client stays silent after GOAWAY: Baton closes the idle connection itself
        // as soon as the last request ended, instead of waiting for DrainTimeout (10 s here).
        var closed = await h2.Closed.WaitAsync(EventTimeout);
        Assert.Equal(ExitCodes.Success, await host.Baton.WaitForExitAsync(EventTimeout));
        long exitAt = await exited;
        _output.WriteLine($"GOAWAY frames: {string.Join(", ", h2.GoAways.Select(g => $"last={g.LastStreamId} code={g.ErrorCode} at +{Milliseconds(goAway.Timestamp, g.Timestamp):0.0} ms"))}");
        _output.WriteLine($"stream end -> connection closed ({closed}): {Milliseconds(result.Timestamp, closed.Timestamp):0.0} ms; -> process exit: {Milliseconds(result.Timestamp, exitAt):0.0} ms");
        Assert.True(closed.Fin, $"the connection should end with FIN after a final GOAWAY, got {closed}");
        Assert.Equal(1, h2.GoAways.Last().LastStreamId); // the final GOAWAY names the last stream served
        // Baton ends a silent HTTP/2 client's connection after it stayed 1 s without a stream (so a
        // stream the client opened before it saw GOAWAY is never cut), far before the 10 s deadline.
        Assert.InRange(Milliseconds(result.Timestamp, exitAt), -50, 2500);
    }

    [Fact]
    public async Task SigTerm_HttpClientStreamInFlight_CompletesAndTheNextRequestNeedsANewConnection()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Lifecycle["ShutdownGracePeriod"] = Duration(TimeSpan.Zero));
        using var client = Clients.H2c();
        var warm = await client.GetAsync(new Uri(host.H2cUri, "whoami"));
        Assert.Equal(HttpVersion.Version20, warm.Version);
        var slow = client.GetAsync(new Uri(host.H2cUri, "slow?ms=1500"));
        await WaitForInFlightAsync(host, 1);

        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        await EventAsync(host.Baton, BatonEventIds.ListenerClosed, e => e.Get("Key") == "h2c");

        var response = await slow.WaitAsync(EventTimeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("slow done\n", await response.Content.ReadAsStringAsync());
        // After GOAWAY the client may not open a stream on the old connection; a new one is refused.
        var next = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri(host.H2cUri, "whoami")));
        Assert.True(IsRefused(next), $"expected a refused connection, got {next}");
        Assert.Equal(ExitCodes.Success, await WaitForShutdownAsync(host.Baton));
    }

    [Fact]
    public async Task SigTerm_IdleHttp2Connection_IsClosedWithoutWaitingForTheClient()
    {
        await using var host = await BatonTestHost.StartAsync();
        await using var h2 = await RawH2cConnection.ConnectAsync(host.H2cUri, EventTimeout);
        var first = await h2.GetAsync(1, "/whoami").WaitAsync(EventTimeout);
        Assert.Equal("upstream-a", first.Body);
        var exited = ExitTimestamp(host.Baton);

        long signalled = Stopwatch.GetTimestamp();
        Assert.True(host.Baton.Signal(Signals.SIGTERM));

        var goAway = await h2.FirstGoAway.WaitAsync(EventTimeout);
        var closed = await h2.Closed.WaitAsync(EventTimeout);
        Assert.Equal(ExitCodes.Success, await host.Baton.WaitForExitAsync(EventTimeout));
        long exitAt = await exited;
        _output.WriteLine($"SIGTERM -> GOAWAY(last={goAway.LastStreamId}): {Milliseconds(signalled, goAway.Timestamp):0.0} ms; -> closed ({closed}): {Milliseconds(signalled, closed.Timestamp):0.0} ms; -> exit: {Milliseconds(signalled, exitAt):0.0} ms");
        Assert.Equal(1, goAway.LastStreamId);
        Assert.True(closed.Fin, $"expected FIN, got {closed}");
        Assert.InRange(Milliseconds(signalled, exitAt), 0, 2000); // DrainTimeout is 10 s
    }
}
