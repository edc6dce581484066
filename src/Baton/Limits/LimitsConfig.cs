using System.Globalization;
using Baton.Configuration;
using Microsoft.Extensions.Configuration;

namespace Baton.Limits;

/// <summary>
/// Reads <c>Baton:Limits</c> and a listener's <c>MaxConnections</c>. Every bad value is one line
/// naming the key, the value, the allowed range and the default.
/// </summary>
internal static class LimitsConfig
{
    /// <summary>The allowed range of a listener's <c>MaxConnections</c>.</summary>
    public const int MaxConnectionsLimit = 1_000_000;

    private static readonly string[] s_keys =
    [
        "MaxRequestHeadersTotalSize", "MaxRequestHeaderCount", "MaxRequestLineSize", "MaxRequestBodySize",
        "RequestHeadersTimeout", "KeepAliveTimeout", "MinRequestBodyDataRate", "MinResponseDataRate", "Http2",
    ];

    private static readonly string[] s_rateKeys = ["BytesPerSecond", "GracePeriod"];
    private static readonly string[] s_http2Keys = ["MaxStreamsPerConnection", "MaxRequestHeaderFieldSize", "InitialConnectionWindowSize", "InitialStreamWindowSize"];

    /// <summary>Reads <paramref name="section"/> (<c>Baton:Limits</c>); a key left out keeps Kestrel's default.</summary>
    public static LimitsSettings Read(List<string> errors, IConfigurationSection section)
    {
        var d = new LimitsSettings();
        if (!section.Exists())
        {
            return d;
        }

        UnknownKeys.Check(errors, section, s_keys);
        var http2 = section.GetSection("Http2");
        UnknownKeys.Check(errors, http2, s_http2Keys);
        return new LimitsSettings
        {
            MaxRequestHeadersTotalSize = Int(errors, section, "MaxRequestHeadersTotalSize", 1024, 1024 * 1024, d.MaxRequestHeadersTotalSize, "bytes"),
            MaxRequestHeaderCount = Int(errors, section, "MaxRequestHeaderCount", 1, 10_000, d.MaxRequestHeaderCount, "headers"),
            MaxRequestLineSize = Int(errors, section, "MaxRequestLineSize", 256, 1024 * 1024, d.MaxRequestLineSize, "bytes"),
            MaxRequestBodySize = BodySize(errors, section, d.MaxRequestBodySize),
            RequestHeadersTimeout = Duration(errors, section, "RequestHeadersTimeout", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), d.RequestHeadersTimeout),
            KeepAliveTimeout = Duration(errors, section, "KeepAliveTimeout", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1), d.KeepAliveTimeout),
            MinRequestBodyDataRate = Rate(errors, section.GetSection("MinRequestBodyDataRate"), d.MinRequestBodyDataRate),
            MinResponseDataRate = Rate(errors, section.GetSection("MinResponseDataRate"), d.MinResponseDataRate),
            Http2MaxStreamsPerConnection = Int(errors, http2, "MaxStreamsPerConnection", 1, 10_000, d.Http2MaxStreamsPerConnection, "streams"),
            Http2MaxRequestHeaderFieldSize = Int(errors, http2, "MaxRequestHeaderFieldSize", 1024, 1024 * 1024, d.Http2MaxRequestHeaderFieldSize, "bytes"),
            // RFC 9113 6.9.2: a window starts at 65,535 and cannot exceed 2^31 - 1.
            Http2InitialConnectionWindowSize = Int(errors, http2, "InitialConnectionWindowSize", 65_535, int.MaxValue, d.Http2InitialConnectionWindowSize, "bytes"),
            Http2InitialStreamWindowSize = Int(errors, http2, "InitialStreamWindowSize", 65_535, int.MaxValue, d.Http2InitialStreamWindowSize, "bytes"),
        };
    }

    /// <summary>A listener's <c>MaxConnections</c>: null (no limit) when absent.</summary>
    public static int? MaxConnections(List<string> errors, IConfigurationSection listener)
        => ConfigReader.Int(errors, listener, "MaxConnections", 1, MaxConnectionsLimit, "connections (default: no limit)");

    private static int Int(List<string> errors, IConfigurationSection section, string key, int min, int max, int fallback, string unit)
        => ConfigReader.Int(errors, section, key, min, max, unit, fallback) ?? fallback;

    private static long? BodySize(List<string> errors, IConfigurationSection section, long? fallback)
    {
        if (section["MaxRequestBodySize"] is not { } text)
        {
            return fallback;
        }

        if (string.Equals(text, "unlimited", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        errors.Add(string.Create(CultureInfo.InvariantCulture, $"{section.Path}:MaxRequestBodySize = '{text}': allowed 0 to {long.MaxValue:N0} bytes or \"unlimited\" (default {fallback:N0})"));
        return fallback;
    }

    private static TimeSpan Duration(List<string> errors, IConfigurationSection section, string key, TimeSpan min, TimeSpan max, TimeSpan fallback)
        => ConfigReader.Duration(errors, section, key, min, max, fallback) ?? fallback;

    private static DataRate? Rate(List<string> errors, IConfigurationSection section, DataRate? fallback)
    {
        if (!section.Exists())
        {
            return fallback;
        }

        UnknownKeys.Check(errors, section, s_rateKeys);
        var defaults = fallback ?? new DataRate(240, TimeSpan.FromSeconds(5));
        double bytesPerSecond = defaults.BytesPerSecond;
        if (section["BytesPerSecond"] is { } text
            && (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out bytesPerSecond) || bytesPerSecond > 1e9))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{section.Path}:BytesPerSecond = '{text}': allowed 0 (off) to 1,000,000,000 bytes per second (default {defaults.BytesPerSecond})"));
            return fallback;
        }

        var grace = defaults.GracePeriod;
        if (section["GracePeriod"] is { } g)
        {
            // Kestrel checks rates on its 1 s heartbeat: a grace period must be longer than that.
            if (!ConfigReader.TryParseDuration(g, out grace) || grace <= TimeSpan.FromSeconds(1) || grace > TimeSpan.FromHours(1))
            {
                errors.Add($"{section.Path}:GracePeriod = '{g}': allowed a duration above 00:00:01 up to 01:00:00 (default {ConfigReader.Format(defaults.GracePeriod)})");
                return fallback;
            }
        }

        return bytesPerSecond == 0 ? null : new DataRate(bytesPerSecond, grace);
    }
}
