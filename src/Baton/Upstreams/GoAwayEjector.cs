using Yarp.ReverseProxy;

namespace Baton.Upstreams;

/// <summary>Takes the destination behind an HTTP/2 connection out of rotation when its server announced a graceful shutdown (<see cref="GoAwayWatch"/>).</summary>
internal sealed class GoAwayEjector(IServiceProvider services, UpstreamPolicies policies, DestinationEjections ejections, UpstreamMetrics metrics, ILogger<GoAwayEjector> logger)
{
    /// <summary>The server at <paramref name="address"/> (the first request of the connection) sent the shutdown GOAWAY.</summary>
    public void ShutdownAnnounced(string clusterId, Uri? address)
    {
        // Resolved late: YARP's proxy state depends on the HTTP client factory that calls this.
        if (address is null || !services.GetRequiredService<IProxyStateLookup>().TryGetCluster(clusterId, out var cluster))
        {
            return;
        }

        var policy = policies.For(clusterId);
        foreach (var destination in cluster.Destinations.Values)
        {
            if (Uri.TryCreate(destination.Model?.Config.Address, UriKind.Absolute, out var uri)
                && string.Equals(uri.Authority, address.Authority, StringComparison.OrdinalIgnoreCase)
                && ejections.Eject(destination, policy.EjectFor, EjectionReason.Draining))
            {
                metrics.Ejected(clusterId, EjectionReason.Draining);
                UpstreamLog.Ejected(logger, destination.DestinationId, clusterId, policy.EjectFor.TotalSeconds, "it sent an HTTP/2 GOAWAY announcing shutdown");
            }
        }
    }
}
