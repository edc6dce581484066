using System.IO.Pipelines;
using Baton.Hosting.Draining;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Time.Testing;

namespace Baton.Hosting.Tests.Draining;

public class ConnectionTrackerTests
{
    private static readonly ListenerInfo Public = new("public", IsAdmin: false, ServesHealth: false);

    [Fact]
    public async Task Http2_LastStreamEndsAfterCloseRequest_ServerReadEndsAsOnAClientFin()
    {
        var (tracker, connection, context) = Open(http2: true);
        tracker.RequestStarted(connection);
        tracker.RequestStarted(connection);
        var read = context.Transport.Input.ReadAsync();

        context.RequestClose(); // the server stops: Kestrel sends GOAWAY
        tracker.RequestEnded(connection);
        Assert.False(read.IsCompleted, "one stream is still running");
        tracker.RequestEnded(connection);

        // Kestrel reads this as the client's FIN: it writes its final GOAWAY, flushes and closes.
        var result = await read.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(result.IsCanceled);
        Assert.False(context.Aborted, "a graceful close, not an abort");
    }

    [Fact]
    public void Http2_LastStreamEndsWhileServing_ConnectionStaysOpen()
    {
        var (tracker, connection, context) = Open(http2: true);
        tracker.RequestStarted(connection);
        var read = context.Transport.Input.ReadAsync();

        tracker.RequestEnded(connection);

        Assert.False(read.IsCompleted);
        Assert.False(connection.CloseRequested);
    }

    [Fact]
    public void Http1_LastRequestEndsAfterCloseRequest_LeftToTheServer()
    {
        var (tracker, connection, context) = Open(http2: false);
        tracker.RequestStarted(connection);
        var read = context.Transport.Input.ReadAsync();

        context.RequestClose();
        tracker.RequestEnded(connection);

        Assert.True(connection.CloseRequested);
        Assert.False(read.IsCompleted); // HTTP/1.1 closes after its Connection: close response by itself
    }

    [Fact]
    public void ConnectionClosed_StopsWatchingTheCloseRequest()
    {
        var (tracker, connection, context) = Open(http2: true);
        tracker.ConnectionClosed(connection);

        context.RequestClose();

        Assert.False(connection.CloseRequested);
        Assert.Equal(0, tracker.OpenConnections);
    }

    private static (ConnectionTracker Tracker, TrackedConnection Connection, TestConnection Context) Open(bool http2)
    {
        var tracker = new ConnectionTracker(new FakeTimeProvider());
        var context = new TestConnection();
        var connection = tracker.ConnectionOpened(context, Public);
        connection.IsHttp2 = http2;
        return (tracker, connection, context);
    }

    /// <summary>A connection with an in-memory transport and the server's close-request notification.</summary>
    private sealed class TestConnection : DefaultConnectionContext, IConnectionLifetimeNotificationFeature
    {
        private readonly CancellationTokenSource _closeRequested = new();

        public TestConnection()
        {
            Transport = new Duplex(new Pipe().Reader, new Pipe().Writer);
            Features.Set<IConnectionLifetimeNotificationFeature>(this);
        }

        public bool Aborted { get; private set; }

        public CancellationToken ConnectionClosedRequested
        {
            get => _closeRequested.Token;
            set => throw new NotSupportedException();
        }

        public void RequestClose() => _closeRequested.Cancel();

        public override void Abort(ConnectionAbortedException abortReason)
        {
            Aborted = true;
            base.Abort(abortReason);
        }

        private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
    }
}
