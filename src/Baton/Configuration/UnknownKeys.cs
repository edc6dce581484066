using Microsoft.Extensions.Configuration;

namespace Baton.Configuration;

/// <summary>
/// Rejects keys a section does not know, so a typo (<c>Adress</c>) fails at start-up instead of
/// silently falling back to a default; the message suggests the nearest allowed key.
/// </summary>
internal static class UnknownKeys
{
    /// <summary>Adds one line per child of <paramref name="section"/> not in <paramref name="allowed"/> (case-insensitive).</summary>
    public static void Check(List<string> errors, IConfigurationSection section, string[] allowed)
    {
        foreach (var child in section.GetChildren())
        {
            CheckOne(errors, child, allowed);
        }
    }

    /// <summary>Adds one line when <paramref name="child"/>'s key is not in <paramref name="allowed"/>.</summary>
    public static void CheckOne(List<string> errors, IConfigurationSection child, string[] allowed)
    {
        if (allowed.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        // The seed's snake_case aliases are accepted but not advertised.
        var advertised = allowed.Where(a => !a.Contains('_')).ToArray();
        var value = child.Value is null ? "" : $" = '{child.Value}'";
        var hint = Nearest(child.Key, advertised) is { } near ? $" (did you mean '{near}'?)" : "";
        errors.Add($"{child.Path}{value}: unknown key '{child.Key}'{hint}; allowed: {string.Join(", ", advertised)}");
    }

    /// <summary>The allowed key within two edits of <paramref name="key"/>, if any (the closest wins).</summary>
    private static string? Nearest(string key, string[] allowed)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (var candidate in allowed)
        {
            int d = Distance(key.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                (best, bestDistance) = (candidate, d);
            }
        }

        return best;
    }

    /// <summary>Levenshtein distance (insert, delete, substitute), two rows.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitute, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
