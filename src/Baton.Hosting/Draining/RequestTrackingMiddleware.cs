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
    private readonly RequestDelegate _next;
    private readonly ConnectionTracker _tracker;
    private readonly ILifecycle _lifecycle;

    // One delegate for the middleware's lifetime; the per-request state is the HttpContext itself,
    // so registering it allocates nothing per request.
    private readonly Func<object, Task> _closeIfShuttingDown;

    public RequestTrackingMiddleware(RequestDelegate next, ConnectionTracker tracker, ILifecycle lifecycle)
    {
        _next = next;
        _tracker = tracker;
        _lifecycle = lifecycle;
        _closeIfShuttingDown = state =>
        {
            if (_lifecycle.Phase.IsShuttingDown())
            {
                ((HttpContext)state).Response.Headers.Connection = "close";
            }

            return Task.CompletedTask;
        };
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
                    context.Response.OnStarting(_closeIfShuttingDown, context);
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
