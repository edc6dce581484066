using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Baton.Upstreams;

/// <summary>
/// Wraps YARP's <see cref="IDestinationHealthUpdater"/>: when an active health check finds an
/// ejected destination healthy again — a probe sent after it was ejected — it comes back into
/// rotation at once instead of at the end of <see cref="UpstreamPolicy.EjectFor"/>.
/// </summary>
internal sealed class EjectionHealthUpdater : IDestinationHealthUpdater
{
    private static readonly TimeSpan s_defaultInterval = TimeSpan.FromSeconds(15); // YARP's default active interval

    private readonly IDestinationHealthUpdater _inner;
    private readonly DestinationEjections _ejections;
    private readonly ILogger _logger;

    public EjectionHealthUpdater(IDestinationHealthUpdater inner, DestinationEjections ejections, ILogger<EjectionHealthUpdater> logger)
    {
        _inner = inner;
        _ejections = ejections;
        _logger = logger;
    }

    public void SetActive(ClusterState cluster, IEnumerable<NewActiveDestinationHealth> newHealthStates)
    {
        var states = newHealthStates as IReadOnlyCollection<NewActiveDestinationHealth> ?? newHealthStates.ToList();
        _inner.SetActive(cluster, states);
        var interval = cluster.Model.Config.HealthCheck?.Active?.Interval ?? s_defaultInterval;
        foreach (var s in states)
        {
            if (s.NewActiveHealth == DestinationHealth.Healthy && _ejections.Restore(s.Destination, interval))
            {
                UpstreamLog.Restored(_logger, s.Destination.DestinationId, cluster.ClusterId, "its active health check passed");
            }
        }
    }

    public void SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth newHealth, TimeSpan reactivationPeriod)
        => _inner.SetPassive(cluster, destination, newHealth, reactivationPeriod);
}
