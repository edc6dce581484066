using System.Globalization;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Upstreams;

/// <summary>Helpers shared by the upstream tests: cluster config, Baton's upstream events, its retry counters.</summary>
internal static class UpstreamRig
{
    public static JsonObject Cluster(BatonTestHost host) => (JsonObject)host.Config["ReverseProxy"]!["Clusters"]!["app"]!;

    /// <summary>Points cluster "app" at <paramref name="urls"/> (destination ids = names).</summary>
    public static void Destinations(BatonTestHost host, params (string Name, string Url)[] urls)
    {
        var destinations = new JsonObject();
        foreach (var (name, url) in urls)
        {
            destinations[name] = new JsonObject { ["Address"] = url };
        }

        Cluster(host)["Destinations"] = destinations;
    }

    /// <summary><c>Baton:Upstreams:Clusters:app</c>, created on first use.</summary>
    public static JsonObject Policy(BatonTestHost host)
    {
        var baton = (JsonObject)host.Config["Baton"]!;
        baton["Upstreams"] ??= new JsonObject { ["Clusters"] = new JsonObject { ["app"] = new JsonObject() } };
        return (JsonObject)baton["Upstreams"]!["Clusters"]!["app"]!;
    }

    public static IEnumerable<Testing.LogEvent> NotRetried(BatonTestHost host) => host.Baton.Events.Where(e => e.EventId == BatonEventIds.UpstreamNotRetried);

    /// <summary>Waits until Baton has logged <paramref name="count"/> not-retried failures (its console logger writes off the request path).</summary>
    public static async Task WaitForNotRetriedAsync(BatonTestHost host, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (NotRetried(host).Count() < count && !timeout.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None);
        }
    }
}
