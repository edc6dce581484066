using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Baton.Configuration;

/// <summary>
/// The one reader of Baton's typed values (every <c>Baton:…</c> section): a key left out is
/// <c>null</c> (the caller keeps its default); a bad value is one line in <c>errors</c> naming the
/// key, the value and what is allowed, and is also <c>null</c>.
/// </summary>
/// <remarks>
/// A duration is <c>[d.]hh:mm:ss[.fff]</c> or a bare whole number of <b>seconds</b> (nginx reads
/// bare numbers as seconds too): <c>"DrainTimeout": 30</c> and <c>BATON_…__DrainTimeout=30</c> are
/// 30 s. <see cref="TimeSpan.Parse(string)"/> alone would read "30" as 30 days.
/// </remarks>
internal static class ConfigReader
{
    /// <summary><c>true</c> or <c>false</c> (any case), from <paramref name="key"/> or else <paramref name="alias"/>.</summary>
    public static bool? Bool(List<string> errors, IConfigurationSection section, string key, string? alias = null)
    {
        if (Value(section, key, alias) is not (var name, { } text))
        {
            return null;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        errors.Add($"{section.Path}:{name} = '{text}': allowed true or false");
        return null;
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; the message names the unit and the default when given.</summary>
    public static int? Int(List<string> errors, IConfigurationSection section, string key, int min, int max, string? unit = null, int? defaultValue = null)
    {
        if (section[key] is not { } text)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        errors.Add(string.Create(CultureInfo.InvariantCulture, $"{section.Path}:{key} = '{text}': allowed {min:N0} to {max:N0}{(unit is null ? "" : " " + unit)}{(defaultValue is { } d ? $" (default {d:N0})" : "")}"));
        return null;
    }

    /// <summary>A number (decimal point allowed) from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static double? Double(List<string> errors, IConfigurationSection section, string key, double min, double max)
    {
        if (section[key] is not { } text)
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        errors.Add(string.Create(CultureInfo.InvariantCulture, $"{section.Path}:{key} = '{text}': allowed a number from {min} to {max}"));
        return null;
    }

    /// <summary>
    /// A duration from <paramref name="min"/> to <paramref name="max"/> (see the remarks on the
    /// class), from <paramref name="key"/>, or else from <paramref name="msAlias"/> as whole
    /// milliseconds (the seed's <c>drain_timeout_ms</c> style).
    /// </summary>
    public static TimeSpan? Duration(List<string> errors, IConfigurationSection section, string key, TimeSpan min, TimeSpan max, TimeSpan? defaultValue = null, string? msAlias = null)
    {
        var range = $"from {Format(min)} to {Format(max)}{(defaultValue is { } d ? $" (default {Format(d)})" : "")}";
        if (section[key] is { } text)
        {
            if (TryParseDuration(text, out var value) && value >= min && value <= max)
            {
                return value;
            }

            errors.Add($"{section.Path}:{key} = '{text}': allowed a duration {range}, as hh:mm:ss[.fff] or whole seconds");
            return null;
        }

        if (msAlias is not null && section[msAlias] is { } ms)
        {
            if (long.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var millis) && millis <= (long)max.TotalMilliseconds
                && TimeSpan.FromMilliseconds(millis) is var value && value >= min)
            {
                return value;
            }

            errors.Add($"{section.Path}:{msAlias} = '{ms}': allowed a whole number of milliseconds {range}");
        }

        return null;
    }

    /// <summary>
    /// Parses <c>[-][d.]hh:mm:ss[.fff]</c> or a bare whole number of seconds. A bare number with a
    /// fraction or a sign-only text is refused: "1.5" would otherwise be 1 day and 5 hours.
    /// </summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        var trimmed = text.AsSpan().Trim();
        if (trimmed.Length > 0 && !trimmed.Contains(':'))
        {
            // A bound far beyond any allowed range, so that FromSeconds cannot overflow.
            bool ok = long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds) && Math.Abs(seconds) < 1_000_000_000;
            value = ok ? TimeSpan.FromSeconds(seconds) : default;
            return ok;
        }

        return TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out value);
    }

    /// <summary><c>hh:mm:ss</c>, with <c>d.</c> from a day up and <c>.fff</c> when there are milliseconds: how the messages print durations.</summary>
    public static string Format(TimeSpan t)
    {
        var sign = t < TimeSpan.Zero ? "-" : "";
        t = t.Duration();
        var days = t.Days > 0 ? t.Days.ToString(CultureInfo.InvariantCulture) + "." : "";
        var fraction = t.Milliseconds > 0 ? t.ToString(@"\.fff", CultureInfo.InvariantCulture) : "";
        return sign + days + t.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) + fraction;
    }

    /// <summary>The text of <paramref name="key"/>, or else of <paramref name="alias"/>.</summary>
    public static string? Text(IConfigurationSection section, string key, string? alias = null)
        => section[key] ?? (alias is null ? null : section[alias]);

    private static (string Name, string? Text) Value(IConfigurationSection section, string key, string? alias)
        => section[key] is { } text || alias is null ? (key, section[key]) : (alias, section[alias]);
}
