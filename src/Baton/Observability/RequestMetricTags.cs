using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Model;

namespace Baton.Observability;

/// <summary>
/// Adds YARP's route, cluster and destination, and the status class, to ASP.NET Core's own
/// request metrics (<c>http.server.request.duration</c>): its <c>http.route</c> is the route's
/// path pattern, which several YARP routes may share. The tag values are strings the config
/// already holds; nothing is allocated when metrics are off.
/// </summary>
internal static class RequestMetricTags
{
    private static readonly string[] s_classes = ["1xx", "2xx", "3xx", "4xx", "5xx"];

    public static void Add(HttpContext context, IReverseProxyFeature? proxy, int status)
    {
        if (context.Features.Get<IHttpMetricsTagsFeature>() is not { MetricsDisabled: false } metrics)
        {
            return;
        }

        var tags = metrics.Tags;
        tags.Add(new("route", proxy?.Route.Config.RouteId ?? ""));
        tags.Add(new("cluster", proxy?.Cluster?.Config.ClusterId ?? ""));
        tags.Add(new("destination", proxy?.ProxiedDestination?.DestinationId ?? ""));
        tags.Add(new("status_class", status is >= 100 and < 600 ? s_classes[(status / 100) - 1] : "other"));
    }
}
