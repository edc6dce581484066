namespace Baton.Policies;

/// <summary>The limiters of System.Threading.RateLimiting.</summary>
public enum RateLimiterKind
{
    FixedWindow,
    SlidingWindow,
    TokenBucket,
    Concurrency,
}
