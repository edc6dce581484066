using Baton.Hosting.Lifecycle;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Baton.Hosting.Draining;

/// <summary>
/// Counts every request for the drain, marks HTTP/1.1 responses <c>Connection: close</c> once
/// the process is shutting down, and tracks upgraded requests (WebSockets) as long-lived.
/// </summary>
internal sealed class RequestTrackingMiddleware
{
    private static readonly Func<object, Task> s_closeIfShuttingDown = static state =>
    {
        var (context, lifecycle) = ((HttpContext, ILifecycle))state;
        if (lifecycle.Phase.IsShuttingDown())
        {
            context.Response.Headers.Connection = "close";
        }

        return Task.CompletedTask;
    };

    private readonly RequestDelegate _next;
    private readonly ConnectionTracker _tracker;
    private readonly ILifecycle _lifecycle;

    public RequestTrackingMiddleware(RequestDelegate next, ConnectionTracker tracker, ILifecycle lifecycle)
    {
        _next = next;
        _tracker = tracker;
        _lifecycle = lifecycle;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var connection = context.Features.Get<TrackedConnection>();
        _tracker.RequestStarted(connection);
        try
        {
            if (HttpProtocol.IsHttp2(context.Request.Protocol))
            {
                if (connection is not null)
                {
                    connection.IsHttp2 = true;
                }
            }
            else if (!HttpProtocol.IsHttp3(context.Request.Protocol))
            {
                // HTTP/1.x: once shutting down, close the connection after this response so the
                // client never races a keep-alive close (the grace period serves normally otherwise).
                if (_lifecycle.Phase.IsShuttingDown())
                {
                    context.Response.Headers.Connection = "close";
                }
                else
                {
                    context.Response.OnStarting(s_closeIfShuttingDown, (context, _lifecycle));
                }

                var upgrade = context.Features.Get<IHttpUpgradeFeature>();
                if (upgrade is { IsUpgradableRequest: true })
                {
                    var tracking = new LongLivedUpgradeFeature(upgrade, context, _tracker, connection);
                    context.Features.Set<IHttpUpgradeFeature>(tracking);
                    try
                    {
                        await _next(context).ConfigureAwait(false);
                    }
                    finally
                    {
                        tracking.Release();
                    }

                    return;
                }
            }

            await _next(context).ConfigureAwait(false);
        }
        finally
        {
            _tracker.RequestEnded(connection);
        }
    }
}
