using System.Diagnostics;
using System.Net.WebSockets;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Xunit.Abstractions;
using static Baton.FunctionalTests.Shutdown.ShutdownProbes;

namespace Baton.FunctionalTests.Shutdown;

/// <summary>What is still running at <c>DrainTimeout</c>: WebSockets get 1001, requests are aborted and counted.</summary>
[Collection(ShutdownCollection.Name)]
public class DrainDeadlineTests
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly ITestOutputHelper _output;

    public DrainDeadlineTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task SigTerm_OpenWebSocket_GetsCloseCode1001AtTheDeadline()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Lifecycle["DrainTimeout"] = Duration(DrainTimeout));
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new UriBuilder(host.PublicUri) { Scheme = "ws", Path = "/ws" }.Uri, CancellationToken.None);
        var buffer = new byte[256];
        await ws.SendAsync("ping"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var echo = await ws.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal("ping", System.Text.Encoding.UTF8.GetString(buffer, 0, echo.Count));

        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        var started = await EventAsync(host.Baton, BatonEventIds.DrainStarted);
        Assert.Equal("1", started.Get("LongLived"));

        using var cts = new CancellationTokenSource(EventTimeout);
        var close = await ws.ReceiveAsync(buffer, cts.Token);
        // From the drain's own log timestamp: on a busy machine the test may read that line late.
        var waited = DateTimeOffset.UtcNow - started.Timestamp;

        // A well-behaved client answers the close handshake at once; the WebSocket then ends
        // cleanly and counts as drained, not aborted.
        await ws.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, null, CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, close.MessageType);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus); // 1001, going away
        var closing = await EventAsync(host.Baton, BatonEventIds.LongLivedClosing);
        Assert.Equal("1", closing.Get("Count"));
        Assert.Equal("1", closing.Get("CloseFrames"));
        _output.WriteLine($"drain started -> close frame: {waited.TotalMilliseconds:0} ms (DrainTimeout {DrainTimeout.TotalMilliseconds:0} ms)");
        Assert.InRange(waited, DrainTimeout - TimeSpan.FromMilliseconds(300), DrainTimeout + TimeSpan.FromSeconds(2));
        Assert.Equal(ExitCodes.Success, await WaitForShutdownAsync(host.Baton));
        Assert.DoesNotContain(host.Baton.Events, e => e.EventId == BatonEventIds.NotAllRequestsDrained);
        Assert.Equal("1", host.Baton.Events.Single(e => e.EventId == BatonEventIds.DrainCompleted).Get("LongLived"));
    }

    [Fact]
    public async Task SigTerm_WebSocketWithLead_ClosedBeforeTheDeadlineAndTheProcessExitsZero()
    {
        var lead = TimeSpan.FromSeconds(1);
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            h.Lifecycle["DrainTimeout"] = Duration(TimeSpan.FromSeconds(10));
            h.Lifecycle["LongLivedCloseLead"] = Duration(TimeSpan.FromSeconds(9));
        });
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new UriBuilder(host.PublicUri) { Scheme = "ws", Path = "/ws" }.Uri, CancellationToken.None);
        var exited = ExitTimestamp(host.Baton);

        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        var started = await EventAsync(host.Baton, BatonEventIds.DrainStarted);
        long drainSeen = Stopwatch.GetTimestamp();
        using var cts = new CancellationTokenSource(EventTimeout);
        var close = await ws.ReceiveAsync(new byte[64], cts.Token);

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        // From the drain's own log timestamp: on a busy machine the test may read that line late.
        Assert.InRange(DateTimeOffset.UtcNow - started.Timestamp, lead - TimeSpan.FromMilliseconds(300), lead + TimeSpan.FromSeconds(2));
        // Closed with 1001 ahead of the deadline, the WebSocket is not an aborted request.
        Assert.Equal(ExitCodes.Success, await WaitForShutdownAsync(host.Baton));
        Assert.InRange(Stopwatch.GetElapsedTime(drainSeen, await exited), TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task SigTerm_RequestLongerThanDrainTimeout_IsAbortedCountedAndExitCodeIs3()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Lifecycle["DrainTimeout"] = Duration(DrainTimeout));
        using var client = Clients.Http1();
        var slow = client.GetAsync(new Uri(host.PublicUri, "slow?ms=20000"));
        await WaitForInFlightAsync(host, 1);

        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        // Timed by the log's own timestamps: on a busy machine the test may read a line late.
        var drainStarted = await EventAsync(host.Baton, BatonEventIds.DrainStarted);

        var notDrained = await EventAsync(host.Baton, BatonEventIds.NotAllRequestsDrained);
        Assert.Equal("1", notDrained.Get("Count"));
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => slow.WaitAsync(EventTimeout));
        Assert.IsNotType<TimeoutException>(failure);
        Assert.Equal(ExitCodes.RequestsAborted, await WaitForShutdownAsync(host.Baton));
        var waited = host.Baton.Events.Single(e => e.EventId == BatonEventIds.DrainCompleted).Timestamp - drainStarted.Timestamp;
        _output.WriteLine($"drain started -> drain completed: {waited.TotalMilliseconds:0} ms; client saw: {failure.GetBaseException().Message}");
        Assert.InRange(waited, DrainTimeout - TimeSpan.FromMilliseconds(300), DrainTimeout + TimeSpan.FromSeconds(3));
        Assert.Equal("1", host.Baton.Events.Single(e => e.EventId == BatonEventIds.DrainCompleted).Get("Aborted"));
        Assert.Equal("3", host.Baton.Events.Single(e => e.EventId == BatonEventIds.ShutdownComplete).Get("ExitCode"));
    }
}
