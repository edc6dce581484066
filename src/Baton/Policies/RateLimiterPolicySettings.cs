namespace Baton.Policies;

/// <summary>One rate-limiter policy. Requests over the limit get 429 with <c>Retry-After</c>.</summary>
/// <param name="Kind">Which limiter.</param>
/// <param name="PermitLimit">Requests per window (windows) or at once (concurrency).</param>
/// <param name="Window">The window (fixed and sliding).</param>
/// <param name="SegmentsPerWindow">Segments of a sliding window.</param>
/// <param name="TokenLimit">Bucket size (token bucket).</param>
/// <param name="TokensPerPeriod">Tokens added each period (token bucket).</param>
/// <param name="ReplenishmentPeriod">The period (token bucket).</param>
/// <param name="QueueLimit">Requests that may wait for a permit instead of being refused. Defaults to 0.</param>
/// <param name="PerClient">One limiter per client address (as nginx's <c>limit_req</c> keyed by <c>$binary_remote_addr</c>), else one for all. Defaults to true.</param>
public sealed record RateLimiterPolicySettings(
    RateLimiterKind Kind,
    int PermitLimit,
    TimeSpan Window,
    int SegmentsPerWindow,
    int TokenLimit,
    int TokensPerPeriod,
    TimeSpan ReplenishmentPeriod,
    int QueueLimit,
    bool PerClient);
