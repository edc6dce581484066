namespace Baton.Upstreams;

/// <summary>
/// How Baton treats one cluster's destinations: retries, the retry budget, request-body buffering
/// for replay, and taking draining or failed destinations out of rotation. Read from
/// <c>Baton:Upstreams:Defaults</c>, overridden per cluster by <c>Baton:Upstreams:Clusters:{ClusterId}</c>.
/// </summary>
public sealed record UpstreamPolicy
{
    /// <summary>The defaults of every cluster, as documented in docs/upstreams.md.</summary>
    public static readonly UpstreamPolicy Default = new();

    /// <summary>
    /// Tries per request, the first included; 1 turns retries off. Defaults to 3 (HAProxy's
    /// <c>retries 3</c>; nginx tries every server of the group).
    /// </summary>
    public int MaxTries { get; init; } = 3;

    /// <summary>What is retried. Defaults to <see cref="RetryOn.AlwaysSafe"/> (nginx's and HAProxy's default: a failed connect goes to another server).</summary>
    public RetryOn RetryOn { get; init; } = RetryOn.AlwaysSafe;

    /// <summary>Response statuses retried for idempotent methods when <see cref="RetryOn.Status"/> is on (e.g. 503). Defaults to none.</summary>
    public IReadOnlySet<int> RetryStatuses { get; init; } = new HashSet<int>();

    /// <summary>
    /// Also retry non-idempotent methods (POST, PATCH, LOCK) on <see cref="RetryOn.Reset"/> and
    /// <see cref="RetryOn.Status"/>, when the body is replayable: the destination may have processed
    /// them. Defaults to false (as nginx's <c>non_idempotent</c>).
    /// </summary>
    public bool RetryNonIdempotent { get; init; }

    /// <summary>
    /// Request bodies up to this size are kept while they are sent, so that a retry can send them
    /// again; larger bodies stream and are not retried once a byte was sent. Defaults to 64 KiB
    /// (HAProxy's <c>tune.bufsize</c> is 16 KiB; Traefik buffers up to 2 MB).
    /// </summary>
    public int BufferBodyBytes { get; init; } = 64 * 1024;

    /// <summary>Connect timeout of each try (SocketsHttpHandler.ConnectTimeout). Defaults to 5 s (Envoy's cluster <c>connect_timeout</c>).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long each try may wait for the response headers (Envoy's <c>per_try_timeout</c>); a try
    /// that runs out is retried when <see cref="RetryOn.Timeout"/> is on (idempotent methods), else
    /// answered 504. Null (the default): only YARP's <c>HttpRequest.ActivityTimeout</c> applies.
    /// </summary>
    public TimeSpan? TryTimeout { get; init; }

    /// <summary>First retry backoff; each further retry doubles it up to <see cref="BackoffMax"/>, with full jitter. Defaults to 10 ms.</summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Longest retry backoff. Defaults to 250 ms (Envoy's cap).</summary>
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The retry budget: retries in flight at most this share of the cluster's requests in flight.
    /// Defaults to 20 % (Envoy's <c>budget_percent</c>).
    /// </summary>
    public double BudgetPercent { get; init; } = 20;

    /// <summary>Retries in flight always allowed, whatever the share. Defaults to 3 (Envoy's <c>min_retry_concurrency</c>).</summary>
    public int BudgetMinRetries { get; init; } = 3;

    /// <summary>
    /// How long a destination that failed to connect, or said it is draining, stays out of rotation
    /// when no active health check brings it back sooner. Defaults to 10 s (nginx's <c>fail_timeout</c>).
    /// </summary>
    public TimeSpan EjectFor { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Partial-request replay: how much of the most recently sent part of a large body Baton keeps, to
    /// fill the gap between what a draining app hands back and what Baton had sent. It must exceed the
    /// app's HTTP/2 stream window (Kestrel's default 768 KiB). 0 turns partial replay off. Defaults to 1 MiB.
    /// </summary>
    public int ReplayWindowBytes { get; init; } = 1024 * 1024;

    /// <summary>The largest body a draining app may hand back for replay; a larger one is a 502. Defaults to 16 MiB.</summary>
    public int MaxReplayBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>True when the request can be retried at all.</summary>
    public bool Retries => MaxTries > 1 && RetryOn != RetryOn.None;
}
