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
