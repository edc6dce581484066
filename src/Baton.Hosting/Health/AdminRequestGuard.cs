using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Baton.Hosting.Health;

/// <summary>
/// Refuses what a web page open in a browser on the host could send to the loopback admin
/// listener. A browser reaches 127.0.0.1 too, so "loopback only" is not enough on its own:
/// <list type="number">
/// <item>a cross-site request: <c>Sec-Fetch-Site: cross-site</c> or <c>same-site</c>, or an
/// <c>Origin</c> that is not the admin listener's own (<c>null</c> included);</item>
/// <item>DNS rebinding (<c>attacker.example</c> resolved to 127.0.0.1, so the page is "same
/// origin"): on TCP the <c>Host</c> must be loopback — <c>127.0.0.1</c>, <c>[::1]</c> or
/// <c>localhost</c>, any port. A Unix socket cannot be reached by a browser and is exempt;</item>
/// <item>a state-changing call (every <c>POST</c>) must carry <see cref="HeaderName"/> or a
/// content type that is not one of CORS's simple ones (<c>text/plain</c>, form types, none):
/// a browser sends neither cross-site without a preflight, which Baton never answers.</item>
/// </list>
/// Baton's own clients (<c>baton prestop|upgrade|status</c>) send <c>X-Baton-Admin: 1</c>; with curl:
/// <c>curl -X POST -H 'X-Baton-Admin: 1' http://127.0.0.1:9901/prestop</c>.
/// </summary>
internal static class AdminRequestGuard
{
    /// <summary>The header that marks a request as sent by a tool, not by a web page.</summary>
    public const string HeaderName = "X-Baton-Admin";

    /// <summary>Why <paramref name="context"/> is refused, or null when it is allowed.</summary>
    public static string? Refusal(HttpContext context)
    {
        var headers = context.Request.Headers;
        var fetchSite = headers["Sec-Fetch-Site"].ToString();
        if (fetchSite.Equals("cross-site", StringComparison.OrdinalIgnoreCase) || fetchSite.Equals("same-site", StringComparison.OrdinalIgnoreCase))
        {
            return $"a browser's {fetchSite} request (Sec-Fetch-Site)";
        }

        var host = context.Request.Host;
        bool tcp = context.Connection.LocalIpAddress is not null;
        if (tcp && !IsLoopbackHost(host))
        {
            return $"Host '{host}' is not loopback; use 127.0.0.1, [::1] or localhost";
        }

        var origin = headers.Origin.ToString();
        if (origin.Length > 0 && !IsSameOrigin(origin, host))
        {
            return $"a cross-site request (Origin {origin})";
        }

        if (HttpMethods.IsPost(context.Request.Method) && !headers.ContainsKey(HeaderName) && IsSimpleContentType(context.Request.ContentType))
        {
            return $"a state-changing request needs the header '{HeaderName}: 1' (or a JSON body), which a web page cannot send cross-site";
        }

        return null;
    }

    private static bool IsLoopbackHost(HostString host)
    {
        var name = host.Host;
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (name.StartsWith('[') && name.EndsWith(']'))
        {
            name = name[1..^1];
        }

        return IPAddress.TryParse(name, out var ip) && IPAddress.IsLoopback(ip);
    }

    // Baton serves no pages, so the only origin a legitimate browser request could have is the
    // listener's own: http://<Host>.
    private static bool IsSameOrigin(string origin, HostString host)
        => origin.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            && host.HasValue
            && origin.AsSpan("http://".Length).Equals(host.Value, StringComparison.OrdinalIgnoreCase);

    // The CORS-safelisted request content types (Fetch standard): a browser sends them without a preflight.
    private static bool IsSimpleContentType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return true;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return true;
        }

        var type = media.MediaType;
        return type.Equals("text/plain", StringComparison.OrdinalIgnoreCase)
            || type.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || type.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);
    }
}
