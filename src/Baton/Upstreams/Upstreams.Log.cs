using Baton.Hosting.Diagnostics;

namespace Baton.Upstreams;

internal static partial class UpstreamLog
{
    [LoggerMessage(BatonEventIds.UpstreamRetry, LogLevel.Debug, "Retry {Try} of {Method} {Path} on cluster {Cluster}: {Failure} at {Destination}", EventName = nameof(BatonEventIds.UpstreamRetry))]
    public static partial void Retry(ILogger logger, int @try, string method, string path, string cluster, string failure, string destination);

    [LoggerMessage(BatonEventIds.UpstreamNotRetried, LogLevel.Information, "Not retried: {Method} {Path} on cluster {Cluster}: {Failure} at {Destination}; {Why}", EventName = nameof(BatonEventIds.UpstreamNotRetried))]
    public static partial void NotRetried(ILogger logger, string method, string path, string cluster, string failure, string destination, string why);

    [LoggerMessage(BatonEventIds.DestinationEjected, LogLevel.Information, "Destination {Destination} of cluster {Cluster} out of rotation for up to {Seconds} s: {Reason}", EventName = nameof(BatonEventIds.DestinationEjected))]
    public static partial void Ejected(ILogger logger, string destination, string cluster, double seconds, string reason);

    [LoggerMessage(BatonEventIds.DestinationRestored, LogLevel.Information, "Destination {Destination} of cluster {Cluster} back in rotation: {Reason}", EventName = nameof(BatonEventIds.DestinationRestored))]
    public static partial void Restored(ILogger logger, string destination, string cluster, string reason);

    [LoggerMessage(BatonEventIds.RequestReplayed, LogLevel.Information, "Replaying {Method} {Path} handed back by {Destination} of cluster {Cluster}: {Returned} body bytes returned, {Sent} had been sent", EventName = nameof(BatonEventIds.RequestReplayed))]
    public static partial void Replayed(ILogger logger, string method, string path, string destination, string cluster, int returned, long sent);

    [LoggerMessage(BatonEventIds.ReplayRejected, LogLevel.Warning, "Cannot replay {Method} {Path} handed back by {Destination} of cluster {Cluster}: {Why}; answering 502", EventName = nameof(BatonEventIds.ReplayRejected))]
    public static partial void ReplayRejected(ILogger logger, string method, string path, string destination, string cluster, string why);
}
