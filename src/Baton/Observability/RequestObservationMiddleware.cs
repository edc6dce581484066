using System.Diagnostics;
using Baton.Hosting.Draining;
using Baton.Observability.AccessLog;
using Baton.Proxy;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Model;

namespace Baton.Observability;

/// <summary>
/// Wraps every request of the public listeners (the admin listener's probes are not logged):
/// passes or generates <c>X-Request-Id</c>, counts body bytes, and when the request ends adds
/// YARP's route, cluster and destination to ASP.NET Core's request metrics and queues the
/// access-log line. Its per-request state is pooled.
/// </summary>
internal sealed class RequestObservationMiddleware
{
    private readonly RequestDelegate _next;
    private readonly AccessLogWriter? _accessLog;

    public RequestObservationMiddleware(RequestDelegate next, IServiceProvider services)
    {
        _next = next;
        _accessLog = services.GetService<AccessLogWriter>();
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<TrackedConnection>()?.Listener.IsAdmin == true)
        {
            await _next(context).ConfigureAwait(false);
            return;
        }

        var start = Stopwatch.GetTimestamp();
        var requestId = RequestIds.PassOrGenerate(context);
        var observation = RequestObservation.Pool.Get();
        var responseBody = context.Features.Get<IHttpResponseBodyFeature>()!;
        observation.ResponseBody.Attach(responseBody);
        context.Features.Set<IHttpResponseBodyFeature>(observation.ResponseBody);
        Stream? requestBody = null;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            requestBody = context.Request.Body;
            observation.RequestBody.Attach(requestBody);
            context.Request.Body = observation.RequestBody;
        }

        context.Features.Set(observation);
        bool failed = false;
        try
        {
            await _next(context).ConfigureAwait(false);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            context.Features.Set(responseBody);
            if (requestBody is not null)
            {
                context.Request.Body = requestBody;
            }

            context.Features.Set<RequestObservation>(null);
            var proxy = context.Features.Get<IReverseProxyFeature>();
            var status = failed && !context.Response.HasStarted ? StatusCodes.Status500InternalServerError : context.Response.StatusCode;
            RequestMetricTags.Add(context, proxy, status);
            if (_accessLog is not null)
            {
                _accessLog.Add(Entry(context, proxy, observation, start, status, requestId));
            }

            observation.Reset();
            RequestObservation.Pool.Return(observation);
        }
    }

    private static AccessLogEntry Entry(HttpContext context, IReverseProxyFeature? proxy, RequestObservation observation, long start, int status, string? requestId)
    {
        var request = context.Request;
        var attempts = context.Features.Get<IProxyAttemptsFeature>();
        return new AccessLogEntry
        {
            Time = DateTime.UtcNow,
            Client = context.Connection.RemoteIpAddress,
            Method = request.Method,
            Host = request.Host.Value,
            Path = request.PathBase.HasValue ? request.PathBase.Value + request.Path.Value : request.Path.Value,
            Query = request.QueryString.Value,
            Protocol = request.Protocol,
            Status = status,
            BytesIn = observation.RequestBody.BytesRead,
            BytesOut = observation.ResponseBody.Written,
            DurationTicks = Stopwatch.GetTimestamp() - start,
            Route = proxy?.Route.Config.RouteId,
            Cluster = proxy?.Cluster?.Config.ClusterId,
            Destination = proxy?.ProxiedDestination?.DestinationId,
            UpstreamTicks = observation.UpstreamTicks,
            Tries = attempts?.Tries ?? (proxy?.ProxiedDestination is null ? 0 : 1),
            Tried = attempts is { Tries: > 1 } ? attempts.Destinations : null,
            TraceId = Activity.Current?.TraceId ?? default,
            RequestId = requestId,
            UserAgent = request.Headers.UserAgent.Count == 0 ? null : request.Headers.UserAgent.ToString(),
            Referer = request.Headers.Referer.Count == 0 ? null : request.Headers.Referer.ToString(),
        };
    }
}
