namespace Baton.Policies;

/// <summary>
/// The policies YARP routes name (<c>RateLimiterPolicy</c>, <c>CorsPolicy</c>, <c>TimeoutPolicy</c>),
/// defined in Baton's config and wired to ASP.NET Core's middleware. Fixed at start: a reload may
/// point routes at other defined policies; new policies need an upgrade.
/// </summary>
public sealed record RoutePolicies
{
    /// <summary><c>Baton:RateLimiterPolicies</c>, by name.</summary>
    public IReadOnlyDictionary<string, RateLimiterPolicySettings> RateLimiters { get; init; } = new Dictionary<string, RateLimiterPolicySettings>();

    /// <summary><c>Baton:CorsPolicies</c>, by name.</summary>
    public IReadOnlyDictionary<string, CorsPolicySettings> Cors { get; init; } = new Dictionary<string, CorsPolicySettings>();

    /// <summary><c>Baton:TimeoutPolicies</c>, by name.</summary>
    public IReadOnlyDictionary<string, TimeoutPolicySettings> Timeouts { get; init; } = new Dictionary<string, TimeoutPolicySettings>();
}

/// <summary>The limiters of System.Threading.RateLimiting.</summary>
public enum RateLimiterKind
{
    FixedWindow,
    SlidingWindow,
    TokenBucket,
    Concurrency,
}

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

/// <summary>One CORS policy (ASP.NET Core's CORS middleware).</summary>
/// <param name="Origins">Allowed origins; <c>*</c> for any.</param>
/// <param name="Methods">Allowed methods; empty for any.</param>
/// <param name="Headers">Allowed request headers; empty for any.</param>
/// <param name="ExposedHeaders">Response headers the browser may read.</param>
/// <param name="AllowCredentials">Allow cookies and credentials (not with origin <c>*</c>).</param>
/// <param name="MaxAge">How long a preflight answer may be cached; none by default.</param>
public sealed record CorsPolicySettings(
    IReadOnlyList<string> Origins,
    IReadOnlyList<string> Methods,
    IReadOnlyList<string> Headers,
    IReadOnlyList<string> ExposedHeaders,
    bool AllowCredentials,
    TimeSpan? MaxAge);

/// <summary>One request-timeout policy (ASP.NET Core's request timeouts).</summary>
/// <param name="Timeout">How long a request may take.</param>
/// <param name="StatusCode">The answer when it does not finish in time. Defaults to 504 (as a gateway timeout).</param>
public sealed record TimeoutPolicySettings(TimeSpan Timeout, int StatusCode);
