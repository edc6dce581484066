using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;

namespace Baton.Proxy;

/// <summary>
/// Removes the headers a <c>Connection</c> header names, on the request and on the response
/// (RFC 9110 §7.6.1: "a proxy or gateway MUST parse a received Connection header field before a
/// message is forwarded and, for each connection-option in this field, remove any header or trailer
/// field(s) from the message with the same name"). YARP drops the standard hop-by-hop headers
/// (<c>Connection</c>, <c>Keep-Alive</c>, <c>Proxy-Connection</c>, …) but forwards the ones a peer
/// nominates: <c>Connection: close, X-Secret</c> would hand <c>X-Secret</c> to the upstream.
/// </summary>
/// <remarks>
/// <para>
/// Never removed, even when named: <c>Upgrade</c> and <c>TE</c> (YARP forwards a WebSocket upgrade
/// and gRPC's <c>TE: trailers</c> by them), <c>Host</c>, <c>Content-Length</c> and
/// <c>Transfer-Encoding</c> (framing). The request side runs first in the app, before Baton adds
/// anything, so a client cannot name <c>X-Forwarded-For</c> to strip what Baton adds.
/// </para>
/// <para>
/// The request side reads the header as the client sent it (<see cref="SentConnectionHeader"/>):
/// Kestrel rewrites <c>Connection: close, X-Secret</c> to <c>Connection: close</c> before any
/// middleware runs. Once the request ended it removes <c>Connection</c> itself, so that Kestrel decodes
/// the next request's value on that connection instead of reusing this one's string.
/// </para>
/// <para>
/// Cost: a request without <c>Connection</c> (every HTTP/2 one) reads one header field; one with
/// <c>Connection</c> scans it, and turns only a nominated header name into a string, to remove it.
/// </para>
/// </remarks>
internal static class ConnectionHeaders
{
    /// <summary>
    /// The request side: first in the app, on the lines the client sent (Kestrel's value only on a
    /// connection without <see cref="SentConnectionHeader"/>'s holder).
    /// </summary>
    public static IApplicationBuilder UseConnectionHeaderRemoval(this IApplicationBuilder app)
    {
        app.Use(static (context, next) =>
        {
            var sent = SentConnectionHeader.Current?.Take() ?? default;
            var connection = sent.Count != 0 ? sent : context.Request.Headers.Connection;
            if (connection.Count == 0)
            {
                return next(context);
            }

            RemoveNominated(connection, context.Request.Headers);
            return ForgetAfterAsync(context, next);
        });
        return app;
    }

    // Kestrel decodes the next request's first Connection line only when it differs from this
    // request's value; an equal one reuses that string without decoding it, so the capture would
    // miss it. With no value left there is nothing to reuse. Removed only after the request: YARP
    // forwards a WebSocket upgrade by it. What the capture saw meanwhile (trailers) is dropped too.
    private static async Task ForgetAfterAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            context.Request.Headers.Remove(HeaderNames.Connection);
            SentConnectionHeader.Current?.Take();
        }
    }

    /// <summary>The response side: a response transform, after YARP copied the upstream's headers.</summary>
    public static IReverseProxyBuilder AddConnectionHeaderRemoval(this IReverseProxyBuilder proxy)
        => proxy.AddTransforms(static context => context.AddResponseTransform(static transform =>
        {
            if (transform.ProxyResponse is { } response && response.Headers.NonValidated.TryGetValues(HeaderNames.Connection, out var values))
            {
                foreach (var value in values)
                {
                    RemoveNominated(value, transform.HttpContext.Response.Headers);
                }
            }

            return ValueTask.CompletedTask;
        }));

    private static void RemoveNominated(StringValues connection, IHeaderDictionary headers)
    {
        foreach (var value in connection)
        {
            RemoveNominated(value, headers);
        }
    }

    private static void RemoveNominated(string? value, IHeaderDictionary headers)
    {
        var rest = value.AsSpan();
        while (!rest.IsEmpty)
        {
            int comma = rest.IndexOf(',');
            var token = (comma < 0 ? rest : rest[..comma]).Trim(" \t");
            rest = comma < 0 ? default : rest[(comma + 1)..];
            if (token.Length > 0 && !IsKept(token))
            {
                headers.Remove(token.ToString());
            }
        }
    }

    private static bool IsKept(ReadOnlySpan<char> token)
        => token.Equals("close", StringComparison.OrdinalIgnoreCase)
            || token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
            || token.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase)
            || token.Equals(HeaderNames.TE, StringComparison.OrdinalIgnoreCase)
            || token.Equals(HeaderNames.Host, StringComparison.OrdinalIgnoreCase)
            || token.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase)
            || token.Equals(HeaderNames.TransferEncoding, StringComparison.OrdinalIgnoreCase);
}
