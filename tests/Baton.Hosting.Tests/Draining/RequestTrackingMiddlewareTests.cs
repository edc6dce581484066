using Baton.Hosting.Draining;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Tests.Lifecycle;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Baton.Hosting.Tests.Draining;

public class RequestTrackingMiddlewareTests
{
    [Fact]
    public async Task Http2Request_CountsUntilTheResponseCompleted_NotUntilTheAppReturns()
    {
        var (tracker, lifecycle, connection) = Setup();
        var (context, response) = Request(connection, "HTTP/2");
        var middleware = new RequestTrackingMiddleware(_ => Task.CompletedTask, tracker, lifecycle);

        await middleware.InvokeAsync(context);

        Assert.Equal(1, tracker.InFlight); // the app returned; Kestrel has not queued END_STREAM yet
        Assert.True(connection.IsHttp2);
        await response.CompleteAsync();
        Assert.Equal(0, tracker.InFlight);
        Assert.Equal(0, connection.ActiveRequests);
        Assert.Equal(1, tracker.Served);
    }

    [Fact]
    public async Task Http2Request_AppThrows_StillEndsAtOnCompleted()
    {
        var (tracker, lifecycle, connection) = Setup();
        var (context, response) = Request(connection, "HTTP/2");
        var middleware = new RequestTrackingMiddleware(_ => throw new InvalidOperationException("app"), tracker, lifecycle);

        await Assert.ThrowsAsync<InvalidOperationException>(() => middleware.InvokeAsync(context));
        await response.CompleteAsync();

        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public async Task Http11Request_EndsWhenTheAppReturns_AndGetsConnectionCloseWhenShuttingDown()
    {
        var (tracker, lifecycle, connection) = Setup();
        Assert.NotNull(lifecycle.Fire(LifecycleTrigger.Stop, "SIGTERM"));
        var (context, _) = Request(connection, "HTTP/1.1");
        int inFlightDuringApp = -1;
        var middleware = new RequestTrackingMiddleware(_ => { inFlightDuringApp = tracker.InFlight; return Task.CompletedTask; }, tracker, lifecycle);

        await middleware.InvokeAsync(context);

        Assert.Equal(1, inFlightDuringApp);
        Assert.Equal(0, tracker.InFlight);
        Assert.Equal("close", context.Response.Headers.Connection.ToString());
        Assert.False(connection.IsHttp2);
    }

    private static (ConnectionTracker Tracker, LifecycleState Lifecycle, TrackedConnection Connection) Setup()
    {
        var rig = new LifecycleRig().Running();
        var tracker = new ConnectionTracker(rig.Time);
        var connection = tracker.ConnectionOpened(new DefaultConnectionContext(), new ListenerInfo("public", false, false));
        return (tracker, rig.State, connection);
    }

    private static (HttpContext Context, RecordingResponse Response) Request(TrackedConnection connection, string protocol)
    {
        var context = new DefaultHttpContext();
        var response = new RecordingResponse();
        context.Features.Set<IHttpResponseFeature>(response);
        context.Features.Set(connection);
        context.Request.Protocol = protocol;
        return (context, response);
    }

    /// <summary>A response feature that runs its OnCompleted callbacks when told, as the server does after the response.</summary>
    private sealed class RecordingResponse : HttpResponseFeature
    {
        private readonly List<(Func<object, Task> Callback, object State)> _completed = new();

        public override void OnCompleted(Func<object, Task> callback, object state) => _completed.Add((callback, state));

        public async Task CompleteAsync()
        {
            foreach (var (callback, state) in _completed)
            {
                await callback(state);
            }
        }
    }
}
