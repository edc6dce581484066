namespace Baton.Upstreams;

/// <summary>Which failures a cluster retries. The always-safe kinds are on by default.</summary>
[Flags]
public enum RetryOn
{
    /// <summary>Nothing is retried.</summary>
    None = 0,

    /// <summary>Connecting to the destination failed (refused, unreachable, connect timeout): nothing was sent. Always safe.</summary>
    ConnectFailure = 1,

    /// <summary>An HTTP/2 stream the destination refused (REFUSED_STREAM): the server says it did not process it. Always safe.</summary>
    RefusedStream = 2,

    /// <summary>A draining Baton.Hosting app answered "not processed" (status 379 with the marker): always safe.</summary>
    NotProcessed = 4,

    /// <summary>
    /// A connection closed or reset before any response byte (the upstream keep-alive race): idempotent
    /// methods, or a body fully buffered (non-idempotent ones only with <see cref="UpstreamPolicy.RetryNonIdempotent"/>).
    /// </summary>
    Reset = 8,

    /// <summary>A response with one of <see cref="UpstreamPolicy.RetryStatuses"/>, for idempotent methods.</summary>
    Status = 16,

    /// <summary>A try that got no response headers within <see cref="UpstreamPolicy.TryTimeout"/>, for idempotent methods.</summary>
    Timeout = 32,

    /// <summary>The default: the kinds where the destination provably did not process the request.</summary>
    AlwaysSafe = ConnectFailure | RefusedStream | NotProcessed,
}
