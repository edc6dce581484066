using Microsoft.Extensions.ObjectPool;

namespace Baton.Observability;

/// <summary>
/// What Baton measures about one request beyond what Kestrel and YARP keep: body bytes each way
/// and the time spent in the upstream. Set as a request feature by
/// <see cref="RequestObservationMiddleware"/>, filled by <see cref="Upstream.UpstreamTimingMiddleware"/>,
/// pooled (nothing allocated per request once warm).
/// </summary>
internal sealed class RequestObservation
{
    public static readonly ObjectPool<RequestObservation> Pool =
        new DefaultObjectPool<RequestObservation>(new DefaultPooledObjectPolicy<RequestObservation>(), Environment.ProcessorCount * 64);

    public CountingResponseBody ResponseBody { get; } = new();

    public CountingRequestBody RequestBody { get; } = new();

    /// <summary>Stopwatch ticks spent forwarding to the upstream (0 when not proxied).</summary>
    public long UpstreamTicks { get; set; }

    public void Reset()
    {
        ResponseBody.Detach();
        RequestBody.Detach();
        UpstreamTicks = 0;
    }
}
