using Microsoft.Extensions.Configuration;

namespace Baton.Configuration;

/// <summary>
/// The keys YARP reads from <c>ReverseProxy</c> (Yarp.ReverseProxy 2.3's configuration provider),
/// and the file's top-level sections. YARP ignores a key it does not know, so a typo (<c>Matchh</c>,
/// <c>ReverseProxyy</c>) would silently leave a route unmatched; here it is an error naming the
/// nearest key. Free-form maps (metadata, transforms, destination names) are not checked.
/// </summary>
internal static class ProxySchema
{
    /// <summary>The top-level sections of the file.</summary>
    public static readonly string[] TopLevel = ["Baton", "ReverseProxy", "Logging"];

    private static readonly string[] s_proxy = ["Routes", "Clusters"];
    private static readonly string[] s_route =
    [
        "ClusterId", "Match", "Order", "MaxRequestBodySize", "AuthorizationPolicy", "RateLimiterPolicy",
        "OutputCachePolicy", "TimeoutPolicy", "Timeout", "CorsPolicy", "Metadata", "Transforms",
    ];

    private static readonly string[] s_match = ["Path", "Hosts", "Methods", "Headers", "QueryParameters"];
    private static readonly string[] s_matchValue = ["Name", "Values", "Mode", "IsCaseSensitive"];
    private static readonly string[] s_cluster = ["LoadBalancingPolicy", "SessionAffinity", "HealthCheck", "HttpClient", "HttpRequest", "Destinations", "Metadata"];
    private static readonly string[] s_affinity = ["Enabled", "Policy", "FailurePolicy", "AffinityKeyName", "Cookie"];
    private static readonly string[] s_cookie = ["Path", "SameSite", "HttpOnly", "MaxAge", "Domain", "IsEssential", "SecurePolicy", "Expiration"];
    private static readonly string[] s_health = ["Active", "Passive", "AvailableDestinationsPolicy"];
    private static readonly string[] s_active = ["Enabled", "Interval", "Timeout", "Policy", "Path", "Query"];
    private static readonly string[] s_passive = ["Enabled", "Policy", "ReactivationPeriod"];
    private static readonly string[] s_httpClient =
    [
        "SslProtocols", "DangerousAcceptAnyServerCertificate", "MaxConnectionsPerServer", "EnableMultipleHttp2Connections",
        "RequestHeaderEncoding", "ResponseHeaderEncoding", "WebProxy",
    ];

    private static readonly string[] s_webProxy = ["Address", "BypassOnLocal", "UseDefaultCredentials"];
    private static readonly string[] s_httpRequest = ["ActivityTimeout", "Version", "VersionPolicy", "AllowResponseBuffering"];
    private static readonly string[] s_destination = ["Address", "Health", "Metadata", "Host"];

    /// <summary>Adds one line per unknown key of <c>ReverseProxy</c>.</summary>
    public static void Check(List<string> errors, IConfigurationSection proxy)
    {
        UnknownKeys.Check(errors, proxy, s_proxy);
        foreach (var route in proxy.GetSection("Routes").GetChildren())
        {
            UnknownKeys.Check(errors, route, s_route);
            var match = route.GetSection("Match");
            UnknownKeys.Check(errors, match, s_match);
            foreach (var list in new[] { "Headers", "QueryParameters" })
            {
                foreach (var item in match.GetSection(list).GetChildren())
                {
                    UnknownKeys.Check(errors, item, s_matchValue);
                }
            }
        }

        foreach (var route in proxy.GetSection("Routes").GetChildren())
        {
            PositiveDuration(errors, route, "Timeout");
        }

        foreach (var cluster in proxy.GetSection("Clusters").GetChildren())
        {
            UnknownKeys.Check(errors, cluster, s_cluster);
            PositiveDuration(errors, cluster.GetSection("HttpRequest"), "ActivityTimeout");
            PositiveDuration(errors, cluster.GetSection("HealthCheck:Active"), "Interval");
            PositiveDuration(errors, cluster.GetSection("HealthCheck:Active"), "Timeout");
            PositiveDuration(errors, cluster.GetSection("HealthCheck:Passive"), "ReactivationPeriod");
            var affinity = cluster.GetSection("SessionAffinity");
            UnknownKeys.Check(errors, affinity, s_affinity);
            UnknownKeys.Check(errors, affinity.GetSection("Cookie"), s_cookie);
            var health = cluster.GetSection("HealthCheck");
            UnknownKeys.Check(errors, health, s_health);
            UnknownKeys.Check(errors, health.GetSection("Active"), s_active);
            UnknownKeys.Check(errors, health.GetSection("Passive"), s_passive);
            var client = cluster.GetSection("HttpClient");
            UnknownKeys.Check(errors, client, s_httpClient);
            UnknownKeys.Check(errors, client.GetSection("WebProxy"), s_webProxy);
            UnknownKeys.Check(errors, cluster.GetSection("HttpRequest"), s_httpRequest);
            foreach (var destination in cluster.GetSection("Destinations").GetChildren())
            {
                UnknownKeys.Check(errors, destination, s_destination);
            }
        }
    }

    // YARP parses these when it loads the config (a FormatException naming neither key nor route)
    // and does not refuse zero or negative ones, which then fail every request. YARP reads a bare
    // number as days (TimeSpan.Parse), unlike Baton's own keys (seconds): refused here.
    private static void PositiveDuration(List<string> errors, IConfigurationSection section, string key)
    {
        if (section[key] is { } text && !(text.Contains(':') && TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero))
        {
            errors.Add($"{section.Path}:{key} = '{text}': allowed a positive duration such as \"00:01:40\" (hh:mm:ss; YARP would read a bare number as days)");
        }
    }

    /// <summary>
    /// Adds one line per unknown top-level section of the file itself (environment variables with
    /// the <c>BATON_</c> prefix that are not configuration, such as the handoff's, are not keys).
    /// </summary>
    public static void CheckTopLevel(List<string> errors, IConfiguration config)
    {
        if (config is not IConfigurationRoot root || root.Providers.OfType<ConfigFileProvider>().FirstOrDefault() is not { } file)
        {
            return;
        }

        foreach (var key in file.GetChildKeys([], null).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            UnknownKeys.CheckOne(errors, config.GetSection(key), TopLevel);
        }
    }
}
