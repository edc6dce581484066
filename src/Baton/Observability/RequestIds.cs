using System.Diagnostics;

namespace Baton.Observability;

/// <summary>
/// <c>X-Request-Id</c>: a client's (or an outer proxy's) value is passed to the upstream as it is;
/// when absent Baton sets one, the request's W3C trace id (so logs, traces and the upstream's
/// logs share one id), or a fresh random one when no trace is running.
/// </summary>
internal static class RequestIds
{
    public const string Header = "X-Request-Id";

    public static string? PassOrGenerate(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (headers.TryGetValue(Header, out var given) && given.Count > 0)
        {
            return given.ToString();
        }

        var id = Activity.Current is { } activity ? activity.TraceId.ToHexString() : ActivityTraceId.CreateRandom().ToHexString();
        headers[Header] = id;
        return id;
    }
}
