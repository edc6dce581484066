using System.Diagnostics;
using Baton.Hosting.Diagnostics;
using Microsoft.AspNetCore.Http.Timeouts;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Baton.Observability.Upstream;

/// <summary>
/// The last step of YARP's proxy pipeline before the forwarder: times the forwarding (the
/// access log's <c>upstream_ms</c>) and turns a forwarding error into one warning line —
/// destination, error kind, elapsed time and the innermost reason — instead of YARP's own
/// warning with a stack trace. The client still gets YARP's 502 (or 504).
/// </summary>
internal sealed partial class UpstreamTimingMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger _logger;

    public UpstreamTimingMiddleware(RequestDelegate next, ILogger<UpstreamTimingMiddleware> logger)
    {
        _next = next;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await _next(context).ConfigureAwait(false);
        }
        finally
        {
            var elapsed = Stopwatch.GetTimestamp() - start;
            if (context.Features.Get<RequestObservation>() is { } observation)
            {
                observation.UpstreamTicks = elapsed;
            }

            if (context.Features.Get<IForwarderErrorFeature>() is { } error)
            {
                Report(context, error, elapsed);
            }
        }

        // The route's Timeout fired: YARP saw its request token cancelled as if the client had gone
        // (400). Rethrown as a cancellation, ASP.NET Core's request-timeouts middleware answers the
        // policy's status (504) while the response has not started.
        if (context.Features.Get<IHttpRequestTimeoutFeature>() is { RequestTimeoutToken.IsCancellationRequested: true } timeout && !context.Response.HasStarted)
        {
            throw new OperationCanceledException("The route's request timeout elapsed.", timeout.RequestTimeoutToken);
        }
    }

    private void Report(HttpContext context, IForwarderErrorFeature error, long elapsed)
    {
        var proxy = context.Features.Get<IReverseProxyFeature>();
        var destination = proxy?.ProxiedDestination is { } d ? $"{proxy.Cluster?.Config.ClusterId}/{d.DestinationId} ({d.Model.Config.Address})" : proxy?.Cluster?.Config.ClusterId ?? "-";
        var ms = Math.Round(Stopwatch.GetElapsedTime(0, elapsed).TotalMilliseconds, 1);
        var reason = Innermost(error.Exception);
        var timedOut = context.Features.Get<IHttpRequestTimeoutFeature>() is { RequestTimeoutToken.IsCancellationRequested: true };
        if (timedOut)
        {
            Log.UpstreamError(_logger, destination, "RequestTimeout", ms, StatusCodes.Status504GatewayTimeout, "the route's Timeout elapsed");
        }
        else if (context.Response.StatusCode != StatusCodes.Status504GatewayTimeout && error.Error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled
            or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
            or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeResponseClient)
        {
            // The client went away: not the upstream's fault.
            Log.ClientAborted(_logger, destination, error.Error.ToString(), ms, reason);
        }
        else
        {
            Log.UpstreamError(_logger, destination, error.Error.ToString(), ms, context.Response.StatusCode, reason);
        }
    }

    // HttpClient's own message names the address ("Connection refused (10.0.0.2:80)"); else the innermost cause.
    private static string Innermost(Exception? ex)
    {
        if (ex is null)
        {
            return "-";
        }

        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException)
            {
                return e.Message;
            }
        }

        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }

        return ex.Message;
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.UpstreamError, LogLevel.Warning, "Upstream error: {Destination}: {Error} after {ElapsedMs} ms, answered {Status}: {Reason}", EventName = nameof(BatonEventIds.UpstreamError))]
        public static partial void UpstreamError(ILogger logger, string destination, string error, double elapsedMs, int status, string reason);

        [LoggerMessage(BatonEventIds.UpstreamClientAborted, LogLevel.Debug, "Client aborted a proxied request: {Destination}: {Error} after {ElapsedMs} ms: {Reason}", EventName = nameof(BatonEventIds.UpstreamClientAborted))]
        public static partial void ClientAborted(ILogger logger, string destination, string error, double elapsedMs, string reason);
    }
}
