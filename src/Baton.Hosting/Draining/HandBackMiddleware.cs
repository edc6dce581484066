using Baton.Hosting.Lifecycle;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Baton.Hosting.Draining;

/// <summary>
/// The app side of <see cref="ReplayProtocol"/>, for requests from a replay-capable proxy: once the
/// process drains, a request it has not started is refused with "not processed" (the proxy sends it
/// elsewhere, whatever its method); an HTTP/2 upload still arriving when the drain deadline nears is
/// handed back with the bytes received so far. Requests without the proxy's header are untouched.
/// </summary>
internal sealed class HandBackMiddleware
{
    /// <summary>The largest upload kept for a hand-back (Baton's own <c>MaxReplayBytes</c> default).</summary>
    internal const int MaxHandBackBytes = 16 * 1024 * 1024;

    private readonly RequestDelegate _next;
    private readonly ILifecycle _lifecycle;
    private readonly HandBackRegistry _registry;

    public HandBackMiddleware(RequestDelegate next, ILifecycle lifecycle, ConnectionTracker tracker)
    {
        _next = next;
        _lifecycle = lifecycle;
        _registry = tracker.HandBacks;
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Headers.TryGetValue(ReplayProtocol.RequestHeader, out var value) || value != ReplayProtocol.Capable)
        {
            return _next(context);
        }

        if (_lifecycle.Phase is LifecyclePhase.Draining or LifecyclePhase.Aborting or LifecyclePhase.UpgradeDraining or LifecyclePhase.Stopped)
        {
            return RefuseAsync(context, ReadOnlyMemory<byte>.Empty);
        }

        bool upload = HttpProtocol.IsHttp2(context.Request.Protocol)
            && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true;
        return upload ? WithHandBackAsync(context) : _next(context);
    }

    private async Task WithHandBackAsync(HttpContext context)
    {
        using var body = new HandBackBody(context, MaxHandBackBytes);
        context.Request.Body = body;
        _registry.Add(body);
        try
        {
            await _next(context).ConfigureAwait(false);
        }
        catch (Exception) when (body.HandingBack && !context.Response.HasStarted)
        {
            // The handler stopped at the hand-back (RequestHandedBackException, or whatever it made of it).
        }
        finally
        {
            if (body.HandingBack && !context.Response.HasStarted)
            {
                await RefuseAsync(context, body.Received()).ConfigureAwait(false);
            }

            _registry.Remove(body);
        }
    }

    /// <summary>Step 2 of <see cref="ReplayProtocol"/>: the refusal, with the request echoed and <paramref name="received"/> as its body.</summary>
    private static async Task RefuseAsync(HttpContext context, ReadOnlyMemory<byte> received)
    {
        var response = context.Response;
        response.Clear();
        response.StatusCode = ReplayProtocol.Status;
        var headers = response.Headers;
        headers[ReplayProtocol.MarkerHeader] = "1";
        headers[ReplayProtocol.DrainingHeader] = "1";
        headers[ReplayProtocol.EchoMethodHeader] = context.Request.Method;
        headers[ReplayProtocol.EchoPathHeader] = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path + context.Request.QueryString;
        headers[ReplayProtocol.BodyBytesHeader] = received.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, values) in context.Request.Headers)
        {
            if (name[0] != ':' && IsPrintableAscii(values))
            {
                headers[ReplayProtocol.EchoHeaderPrefix + name] = values;
            }
        }

        response.ContentLength = received.Length;
        await response.Body.WriteAsync(received).ConfigureAwait(false);
        if (HttpProtocol.IsHttp2(context.Request.Protocol) && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            // Completing now would reset the stream (the body is unread), and a proxy still sending
            // could see the reset before the refusal. Flush it and let the proxy reset the stream once
            // it has read it (bounded: a proxy that never does gets the reset after a second).
            await response.Body.FlushAsync().ConfigureAwait(false);
            try
            {
                await Task.Delay(HoldAfterRefusal, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await response.CompleteAsync().ConfigureAwait(false);
    }

    private static readonly TimeSpan HoldAfterRefusal = TimeSpan.FromSeconds(1);

    private static bool IsPrintableAscii(Microsoft.Extensions.Primitives.StringValues values)
    {
        foreach (var v in values)
        {
            foreach (var c in v ?? "")
            {
                if (c is < ' ' or > '~')
                {
                    return false;
                }
            }
        }

        return true;
    }
}
