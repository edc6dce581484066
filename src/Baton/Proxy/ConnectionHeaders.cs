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
/// <c>Transfer-Encoding</c> (framing). The request side runs before YARP's transforms, so a client
/// cannot name <c>X-Forwarded-For</c> to strip what Baton adds.
/// </para>
/// <para>
/// Known gap (Kestrel, measured on .NET 10): when a request's Connection options are exactly one
/// of <c>close</c>, <c>keep-alive</c> or <c>upgrade</c> besides custom tokens
/// (<c>Connection: close, X-Secret</c>), Kestrel's HTTP/1.1 parser replaces the header's value by its
/// own constant ("close") before any middleware runs, so the nominated names are no longer visible
/// and those headers are still forwarded. Every other request, and every response, is handled.
/// </para>
/// <para>
/// Cost: a request without <c>Connection</c> (every HTTP/2 one) reads one header field; one with
/// only <c>close</c> / <c>keep-alive</c> / <c>upgrade</c> scans it without allocating. Only a
/// nominated header name is turned into a string, to remove it.
/// </para>
/// </remarks>
internal static class ConnectionHeaders
{
    /// <summary>The request side: first in the proxy pipeline, on the incoming headers.</summary>
    public static IReverseProxyApplicationBuilder UseConnectionHeaderRemoval(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.Use(static (context, next) =>
        {
            var connection = context.Request.Headers.Connection;
            if (connection.Count != 0)
            {
                RemoveNominated(connection, context.Request.Headers);
            }

            return next(context);
        });
        return proxy;
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
