using Microsoft.Extensions.Configuration;

namespace Baton.Policies;

/// <summary>
/// Reads <c>Baton:RateLimiterPolicies</c>, <c>Baton:CorsPolicies</c> and <c>Baton:TimeoutPolicies</c>,
/// and checks the route fields YARP would accept but Baton does not wire: one line per problem.
/// </summary>
internal static class RoutePoliciesConfig
{
    public static readonly string[] SectionKeys = ["RateLimiterPolicies", "CorsPolicies", "TimeoutPolicies"];
    private static readonly string[] s_rateKeys = ["Kind", "PermitLimit", "Window", "SegmentsPerWindow", "TokenLimit", "TokensPerPeriod", "ReplenishmentPeriod", "QueueLimit", "PerClient"];
    private static readonly string[] s_corsKeys = ["Origins", "Methods", "Headers", "ExposedHeaders", "AllowCredentials", "MaxAge"];
    private static readonly string[] s_timeoutKeys = ["Timeout", "StatusCode"];

    // YARP's reserved names: "Default" and "Disable" (and "Anonymous" for authorization) need no definition.
    private static readonly string[] s_reserved = ["Default", "Disable"];

    public static RoutePolicies Read(List<string> errors, IConfigurationSection baton)
    {
        var rate = new Dictionary<string, RateLimiterPolicySettings>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in baton.GetSection("RateLimiterPolicies").GetChildren())
        {
            Configuration.UnknownKeys.Check(errors, p, s_rateKeys);
            if (ReadRate(errors, p) is { } settings)
            {
                rate[p.Key] = settings;
            }
        }

        var cors = new Dictionary<string, CorsPolicySettings>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in baton.GetSection("CorsPolicies").GetChildren())
        {
            Configuration.UnknownKeys.Check(errors, p, s_corsKeys);
            var origins = List(p, "Origins");
            if (origins.Count == 0)
            {
                errors.Add($"{p.Path}:Origins is missing; list the allowed origins, e.g. [\"https://app.example.com\"], or [\"*\"] for any");
            }

            var credentials = Bool(errors, p, "AllowCredentials") ?? false;
            if (credentials && origins.Contains("*"))
            {
                errors.Add($"{p.Path}:AllowCredentials = true with Origins [\"*\"]: browsers refuse that; list the origins");
            }

            cors[p.Key] = new CorsPolicySettings(origins, List(p, "Methods"), List(p, "Headers"), List(p, "ExposedHeaders"), credentials, Duration(errors, p, "MaxAge", required: false));
        }

        var timeouts = new Dictionary<string, TimeoutPolicySettings>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in baton.GetSection("TimeoutPolicies").GetChildren())
        {
            Configuration.UnknownKeys.Check(errors, p, s_timeoutKeys);
            var timeout = Duration(errors, p, "Timeout", required: true);
            var status = Int(errors, p, "StatusCode", 400, 599) ?? StatusCodes.Status504GatewayTimeout;
            if (timeout is { } t)
            {
                timeouts[p.Key] = new TimeoutPolicySettings(t, status);
            }
        }

        return new RoutePolicies { RateLimiters = rate, Cors = cors, Timeouts = timeouts };
    }

    /// <summary>Route fields that name a policy: the policy must exist; fields Baton does not wire are refused.</summary>
    public static void CheckRoutes(List<string> errors, IConfigurationSection proxy, RoutePolicies policies)
    {
        foreach (var route in proxy.GetSection("Routes").GetChildren())
        {
            if (route["AuthorizationPolicy"] is { Length: > 0 } auth && !auth.Equals("Anonymous", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{route.Path}:AuthorizationPolicy = '{auth}': Baton does not wire authentication or authorization; remove the field (or 'Anonymous'), and authenticate in the upstream");
            }

            if (route["OutputCachePolicy"] is { Length: > 0 } cache)
            {
                errors.Add($"{route.Path}:OutputCachePolicy = '{cache}': Baton does not wire output caching; remove the field");
            }

            Named(errors, route, "RateLimiterPolicy", policies.RateLimiters.Keys, "Baton:RateLimiterPolicies");
            Named(errors, route, "CorsPolicy", policies.Cors.Keys, "Baton:CorsPolicies");
            Named(errors, route, "TimeoutPolicy", policies.Timeouts.Keys, "Baton:TimeoutPolicies");
        }
    }

    private static void Named(List<string> errors, IConfigurationSection route, string field, IEnumerable<string> defined, string section)
    {
        if (route[field] is not { Length: > 0 } name || s_reserved.Contains(name, StringComparer.OrdinalIgnoreCase) || defined.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        var list = defined.ToList();
        errors.Add($"{route.Path}:{field} = '{name}': no such policy in {section}; defined: {(list.Count == 0 ? "none" : string.Join(", ", list))}");
    }

    private static RateLimiterPolicySettings? ReadRate(List<string> errors, IConfigurationSection p)
    {
        if (!Enum.TryParse<RateLimiterKind>(p["Kind"], ignoreCase: true, out var kind) || int.TryParse(p["Kind"], out _))
        {
            errors.Add($"{p.Path}:Kind = '{p["Kind"]}': allowed FixedWindow, SlidingWindow, TokenBucket, Concurrency");
            return null;
        }

        int before = errors.Count;
        bool window = kind is RateLimiterKind.FixedWindow or RateLimiterKind.SlidingWindow;
        var permits = kind == RateLimiterKind.TokenBucket ? 0 : Required(errors, p, "PermitLimit", Int(errors, p, "PermitLimit", 1, 1_000_000));
        var span = window ? Duration(errors, p, "Window", required: true) ?? TimeSpan.Zero : TimeSpan.Zero;
        var segments = kind == RateLimiterKind.SlidingWindow ? Int(errors, p, "SegmentsPerWindow", 1, 1000) ?? 2 : 1;
        var tokens = kind == RateLimiterKind.TokenBucket ? Required(errors, p, "TokenLimit", Int(errors, p, "TokenLimit", 1, 1_000_000)) : 0;
        var perPeriod = kind == RateLimiterKind.TokenBucket ? Required(errors, p, "TokensPerPeriod", Int(errors, p, "TokensPerPeriod", 1, 1_000_000)) : 0;
        var period = kind == RateLimiterKind.TokenBucket ? Duration(errors, p, "ReplenishmentPeriod", required: true) ?? TimeSpan.Zero : TimeSpan.Zero;
        var queue = Int(errors, p, "QueueLimit", 0, 1_000_000) ?? 0;
        var perClient = Bool(errors, p, "PerClient") ?? true;
        return errors.Count > before ? null : new RateLimiterPolicySettings(kind, permits, span, segments, tokens, perPeriod, period, queue, perClient);
    }

    private static int Required(List<string> errors, IConfigurationSection p, string key, int? value)
    {
        if (value is null && p[key] is null)
        {
            errors.Add($"{p.Path}:{key} is missing; a whole number of at least 1 is required for Kind {p["Kind"]}");
        }

        return value ?? 0;
    }

    private static List<string> List(IConfigurationSection p, string key)
        => p.GetSection(key).GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToList();

    private static TimeSpan? Duration(List<string> errors, IConfigurationSection p, string key, bool required)
    {
        if (required && p[key] is null)
        {
            errors.Add($"{p.Path}:{key} is missing; a duration such as \"00:00:01\" is required");
            return null;
        }

        return Configuration.ConfigReader.Duration(errors, p, key, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(365));
    }

    private static bool? Bool(List<string> errors, IConfigurationSection p, string key)
        => Configuration.ConfigReader.Bool(errors, p, key);

    private static int? Int(List<string> errors, IConfigurationSection p, string key, int min, int max)
        => Configuration.ConfigReader.Int(errors, p, key, min, max);
}
