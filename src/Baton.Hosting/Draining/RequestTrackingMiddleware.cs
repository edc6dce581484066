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
    private readonly Func<object, Task> _endHttp2Request;

    public RequestTrackingMiddleware(RequestDelegate next, ConnectionTracker tracker, ILifecycle lifecycle)
    {
        _next = next;
        _tracker = tracker;
        _lifecycle = lifecycle;
        _closeIfShuttingDown = state =>
        {
            if (_lifecycle.Phase.IsShuttingDown())
            {
                var headers = ((HttpContext)state).Response.Headers;
                headers.Connection = "close";
                headers[ReplayProtocol.DrainingHeader] = "1";
            }

            return Task.CompletedTask;
        };
        _endHttp2Request = state =>
        {
            _tracker.RequestEnded(((HttpContext)state).Features.Get<TrackedConnection>());
            return Task.CompletedTask;
        };
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var connection = context.Features.Get<TrackedConnection>();
        _tracker.RequestStarted(connection);
        if (HttpProtocol.IsHttp2(context.Request.Protocol))
        {
            // HTTP/2: the request counts until Kestrel has queued the stream's END_STREAM
            // (OnCompleted runs after that), not merely until the app returns: when the last
            // request ends the drain closes idle HTTP/2 connections, and that must not overtake
            // the end of a response.
            if (connection is not null)
            {
                connection.IsHttp2 = true;
            }

            context.Response.OnCompleted(_endHttp2Request, context);
            if (_lifecycle.Phase.IsShuttingDown())
            {
                // The drain marker: a proxy takes this destination out of rotation at once.
                context.Response.Headers[ReplayProtocol.DrainingHeader] = "1";
            }

            await _next(context).ConfigureAwait(false);
            return;
        }

        try
        {
            if (!HttpProtocol.IsHttp3(context.Request.Protocol))
            {
                // HTTP/1.x: once shutting down, close the connection after this response so the
                // client never races a keep-alive close (the grace period serves normally otherwise).
                if (_lifecycle.Phase.IsShuttingDown())
                {
                    context.Response.Headers.Connection = "close";
                    context.Response.Headers[ReplayProtocol.DrainingHeader] = "1";
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
