using System.Net.Http;
using Baton.Hosting.Draining;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Baton.Upstreams;

/// <summary>
/// Looks at every destination response before YARP copies it: a drain marker takes the destination
/// out of rotation (and is stripped); a refusal or hand-back of a draining app (status 379 with the
/// marker) is read and never forwarded; a status listed in <c>RetryStatuses</c> is held back for a
/// retry. A plain 2xx costs two header look-ups.
/// </summary>
internal sealed class UpstreamResponseTransform
{
    private readonly UpstreamPolicies _policies;
    private readonly DestinationEjections _ejections;
    private readonly UpstreamMetrics _metrics;
    private readonly ILogger _logger;

    public UpstreamResponseTransform(UpstreamPolicies policies, DestinationEjections ejections, UpstreamMetrics metrics, ILogger<UpstreamResponseTransform> logger)
    {
        _policies = policies;
        _ejections = ejections;
        _metrics = metrics;
        _logger = logger;
    }

    public ValueTask ApplyAsync(ResponseTransformContext context)
    {
        if (context.ProxyResponse is not { } response)
        {
            return ValueTask.CompletedTask;
        }

        context.HttpContext.Features.Get<RetryState>()?.HeadersArrived();
        int status = (int)response.StatusCode;
        if (status == ReplayProtocol.Status && response.Headers.NonValidated.Contains(ReplayProtocol.MarkerHeader))
        {
            return ReadRefusalAsync(context, response);
        }

        if (response.Headers.NonValidated.Contains(ReplayProtocol.DrainingHeader))
        {
            context.HttpContext.Response.Headers.Remove(ReplayProtocol.DrainingHeader);
            Eject(context.HttpContext, EjectionReason.Draining);
        }
        else if (_ejections.Any && status < 500)
        {
            // An ejected destination that answers normally (all were out, so it got a request) is back.
            RestoreIfEjected(context.HttpContext);
        }

        if (status >= 400 && WillRetryStatus(context.HttpContext, status))
        {
            context.SuppressResponseBody = true;
            RetryState.Of(context.HttpContext).Seen = TryFailure.Status;
        }

        return ValueTask.CompletedTask;
    }

    private bool WillRetryStatus(HttpContext context, int status)
    {
        var proxy = context.GetReverseProxyFeature();
        var policy = _policies.For(proxy.Cluster.Config.ClusterId);
        if ((policy.RetryOn & RetryOn.Status) == 0 || !policy.RetryStatuses.Contains(status) || !policy.Retries)
        {
            return false;
        }

        var tries = context.Features.Get<RetryState>()?.Tries ?? 1;
        return tries < policy.MaxTries
            && (policy.RetryNonIdempotent || Methods.IsIdempotent(context.Request.Method))
            && context.Request.Body is not ReplayableBody { Overflowed: true };
    }

    private void Eject(HttpContext context, EjectionReason reason)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.ProxiedDestination is { } destination)
        {
            var cluster = proxy.Cluster.Config.ClusterId;
            var policy = _policies.For(cluster);
            if (_ejections.Eject(destination, policy.EjectFor, reason))
            {
                _metrics.Ejected(cluster, reason);
                UpstreamLog.Ejected(_logger, destination.DestinationId, cluster, policy.EjectFor.TotalSeconds, reason == EjectionReason.Draining ? "it is draining" : "connecting failed");
            }
        }
    }

    private void RestoreIfEjected(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.ProxiedDestination is { } destination && _ejections.RestoreNow(destination))
        {
            UpstreamLog.Restored(_logger, destination.DestinationId, proxy.Cluster.Config.ClusterId, "it answered without the drain marker");
        }
    }

    private async ValueTask ReadRefusalAsync(ResponseTransformContext context, HttpResponseMessage response)
    {
        context.SuppressResponseBody = true;
        var http = context.HttpContext;
        var state = RetryState.Of(http);
        Eject(http, EjectionReason.Draining);
        var policy = _policies.For(http.GetReverseProxyFeature().Cluster.Config.ClusterId);
        var sentPath = response.RequestMessage?.RequestUri?.PathAndQuery;
        var method = Header(response, ReplayProtocol.EchoMethodHeader);
        var path = Header(response, ReplayProtocol.EchoPathHeader);
        if (!string.Equals(method, http.Request.Method, StringComparison.OrdinalIgnoreCase) || !string.Equals(path, sentPath, StringComparison.Ordinal))
        {
            state.RefusalError = $"the refusal echoes {method} {path}, the request was {http.Request.Method} {sentPath}";
            state.Seen = TryFailure.HandedBack;
            return;
        }

        if (!int.TryParse(Header(response, ReplayProtocol.BodyBytesHeader), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)
            || count > policy.MaxReplayBytes)
        {
            state.RefusalError = $"{ReplayProtocol.BodyBytesHeader} '{Header(response, ReplayProtocol.BodyBytesHeader)}' is not a count up to MaxReplayBytes ({policy.MaxReplayBytes})";
            state.Seen = TryFailure.HandedBack;
            return;
        }

        if (count == 0)
        {
            state.Seen = TryFailure.NotProcessed;
            return;
        }

        var bytes = new byte[count];
        var body = await response.Content.ReadAsStreamAsync(http.RequestAborted).ConfigureAwait(false);
        int read = 0;
        try
        {
            // Exactly the announced bytes (Content-Length agrees, or the refusal is refused): an HTTP/2 app
            // holds its stream open until Baton resets it, so the end of the body is not waited for.
            if (response.Content.Headers.ContentLength is { } length && length != count)
            {
                read = -1;
            }

            int n;
            while (read >= 0 && read < count && (n = await body.ReadAsync(bytes.AsMemory(read), http.RequestAborted).ConfigureAwait(false)) > 0)
            {
                read += n;
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            state.RefusalError = $"the hand-back body broke off after {read} of {count} bytes: {ex.Message}";
            state.Seen = TryFailure.HandedBack;
            return;
        }

        state.Seen = TryFailure.HandedBack;
        if (read != count)
        {
            state.RefusalError = read < 0 ? $"the hand-back's Content-Length {response.Content.Headers.ContentLength} differs from {ReplayProtocol.BodyBytesHeader} {count}" : $"the hand-back body has {read} bytes, {ReplayProtocol.BodyBytesHeader} says {count}";
            return;
        }

        state.HandedBack = bytes;
    }

    private static string? Header(HttpResponseMessage response, string name)
        => response.Headers.NonValidated.TryGetValues(name, out var values) ? values.ToString() : null;
}

/// <summary>RFC 9110 §9.2.2: methods whose intended effect is the same however often they are sent.</summary>
internal static class Methods
{
    public static bool IsIdempotent(string method)
        => HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method)
        || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);
}
