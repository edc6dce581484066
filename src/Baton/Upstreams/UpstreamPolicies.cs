using System.Collections.Frozen;
using System.Globalization;
using Baton.Configuration;
using Microsoft.Extensions.Configuration;

namespace Baton.Upstreams;

/// <summary>
/// The validated <c>Baton:Upstreams</c> section: one <see cref="UpstreamPolicy"/> per cluster,
/// <c>Defaults</c> for the clusters not named. Read once at start (a change applies on upgrade).
/// </summary>
public sealed class UpstreamPolicies
{
    private static readonly string[] s_sectionKeys = ["Defaults", "Clusters"];
    private static readonly string[] s_policyKeys =
    [
        "MaxTries", "RetryOn", "RetryStatuses", "RetryNonIdempotent", "BufferBodyBytes", "ConnectTimeout", "TryTimeout",
        "BackoffBase", "BackoffMax", "BudgetPercent", "BudgetMinRetries", "EjectFor", "ReplayWindowBytes", "MaxReplayBytes",
    ];

    private readonly FrozenDictionary<string, UpstreamPolicy> _clusters;

    private UpstreamPolicies(UpstreamPolicy defaults, Dictionary<string, UpstreamPolicy> clusters)
    {
        Defaults = defaults;
        _clusters = clusters.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Every cluster's policy when nothing is configured.</summary>
    public static UpstreamPolicies Empty { get; } = new(UpstreamPolicy.Default, []);

    /// <summary>The policy of clusters not named under <c>Clusters</c>.</summary>
    public UpstreamPolicy Defaults { get; }

    /// <summary>The clusters named under <c>Clusters</c>, each with its whole policy (what <c>check</c> prints).</summary>
    public IReadOnlyDictionary<string, UpstreamPolicy> Clusters => _clusters;

    /// <summary>The policy of <paramref name="clusterId"/>.</summary>
    public UpstreamPolicy For(string clusterId) => _clusters.TryGetValue(clusterId, out var p) ? p : Defaults;

    /// <summary>Reads <paramref name="section"/>, adding one line per problem to <paramref name="errors"/>.</summary>
    /// <param name="knownClusters">The cluster ids of <c>ReverseProxy:Clusters</c>: a policy for another id is a typo.</param>
    public static UpstreamPolicies Read(List<string> errors, IConfigurationSection section, IReadOnlyCollection<string> knownClusters)
    {
        if (!section.Exists())
        {
            return Empty;
        }

        UnknownKeys.Check(errors, section, s_sectionKeys);
        var defaults = ReadPolicy(errors, section.GetSection("Defaults"), UpstreamPolicy.Default);
        var clusters = new Dictionary<string, UpstreamPolicy>(StringComparer.OrdinalIgnoreCase);
        foreach (var cluster in section.GetSection("Clusters").GetChildren())
        {
            if (!knownClusters.Contains(cluster.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{cluster.Path}: no cluster '{cluster.Key}' in ReverseProxy:Clusters; allowed: {string.Join(", ", knownClusters)}");
                continue;
            }

            clusters[cluster.Key] = ReadPolicy(errors, cluster, defaults);
        }

        return new UpstreamPolicies(defaults, clusters);
    }

    private static UpstreamPolicy ReadPolicy(List<string> errors, IConfigurationSection s, UpstreamPolicy inherit)
    {
        UnknownKeys.Check(errors, s, s_policyKeys);
        var p = inherit with
        {
            MaxTries = ConfigReader.Int(errors, s, "MaxTries", 1, 10) ?? inherit.MaxTries,
            RetryOn = ReadRetryOn(errors, s) ?? inherit.RetryOn,
            RetryStatuses = ReadStatuses(errors, s) ?? inherit.RetryStatuses,
            RetryNonIdempotent = ConfigReader.Bool(errors, s, "RetryNonIdempotent") ?? inherit.RetryNonIdempotent,
            BufferBodyBytes = ConfigReader.Int(errors, s, "BufferBodyBytes", 0, 16 * 1024 * 1024) ?? inherit.BufferBodyBytes,
            ConnectTimeout = ConfigReader.Duration(errors, s, "ConnectTimeout", TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5)) ?? inherit.ConnectTimeout,
            TryTimeout = ConfigReader.Duration(errors, s, "TryTimeout", TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1)) ?? inherit.TryTimeout,
            BackoffBase = ConfigReader.Duration(errors, s, "BackoffBase", TimeSpan.Zero, TimeSpan.FromSeconds(10)) ?? inherit.BackoffBase,
            BackoffMax = ConfigReader.Duration(errors, s, "BackoffMax", TimeSpan.Zero, TimeSpan.FromSeconds(60)) ?? inherit.BackoffMax,
            BudgetPercent = ConfigReader.Double(errors, s, "BudgetPercent", 0, 100) ?? inherit.BudgetPercent,
            BudgetMinRetries = ConfigReader.Int(errors, s, "BudgetMinRetries", 0, 10_000) ?? inherit.BudgetMinRetries,
            EjectFor = ConfigReader.Duration(errors, s, "EjectFor", TimeSpan.Zero, TimeSpan.FromHours(1)) ?? inherit.EjectFor,
            ReplayWindowBytes = ConfigReader.Int(errors, s, "ReplayWindowBytes", 0, 64 * 1024 * 1024) ?? inherit.ReplayWindowBytes,
            MaxReplayBytes = ConfigReader.Int(errors, s, "MaxReplayBytes", 0, 1024 * 1024 * 1024) ?? inherit.MaxReplayBytes,
        };
        if (p.BackoffMax < p.BackoffBase)
        {
            errors.Add($"{s.Path}:BackoffMax = '{p.BackoffMax}': must be at least BackoffBase ({p.BackoffBase})");
        }

        if ((p.RetryOn & RetryOn.Status) != 0 && p.RetryStatuses.Count == 0)
        {
            errors.Add($"{s.Path}:RetryOn includes Status but RetryStatuses is empty; list them, e.g. \"RetryStatuses\": [503]");
        }

        if ((p.RetryOn & RetryOn.Timeout) != 0 && p.TryTimeout is null)
        {
            errors.Add($"{s.Path}:RetryOn includes Timeout but TryTimeout is not set; e.g. \"TryTimeout\": \"00:00:02\"");
        }

        return p;
    }

    private static IEnumerable<string> Values(IConfigurationSection s)
        => s.Value is { } v ? v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : s.GetChildren().Select(c => c.Value ?? "");

    private static RetryOn? ReadRetryOn(List<string> errors, IConfigurationSection s)
    {
        var section = s.GetSection("RetryOn");
        if (!section.Exists())
        {
            return null;
        }

        var result = RetryOn.None;
        foreach (var name in Values(section))
        {
            if (Enum.TryParse<RetryOn>(name, ignoreCase: true, out var kind) && Enum.IsDefined(kind))
            {
                result |= kind;
            }
            else
            {
                errors.Add($"{section.Path} = '{name}': allowed None, ConnectFailure, RefusedStream, NotProcessed, Reset, Status, Timeout, AlwaysSafe");
            }
        }

        return result;
    }

    private static HashSet<int>? ReadStatuses(List<string> errors, IConfigurationSection s)
    {
        var section = s.GetSection("RetryStatuses");
        if (!section.Exists())
        {
            return null;
        }

        var result = new HashSet<int>();
        foreach (var text in Values(section))
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 500 and <= 599 or 408 or 425 or 429)
            {
                result.Add(code);
            }
            else
            {
                errors.Add($"{section.Path} = '{text}': allowed a 5xx status, 408, 425 or 429");
            }
        }

        return result;
    }
}
