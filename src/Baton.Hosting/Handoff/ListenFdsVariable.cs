using System.Globalization;

namespace Baton.Hosting.Handoff;

/// <summary>
/// <c>BATON_LISTEN_FDS</c>: the listening fds a re-exec'd process inherits, as
/// <c>fd=key</c> pairs separated by commas (<c>3=public,4=@admin</c>); keys may contain ':'
/// (an address) but not ',' or '='.
/// </summary>
internal static class ListenFdsVariable
{
    public const string Name = "BATON_LISTEN_FDS";

    /// <summary>The inherited end of the channel to the old process (ready/failed reports).</summary>
    public const string ChannelName = "BATON_UPGRADE_FD";

    /// <summary>Set to 1 for a worker started by the supervisor (<c>baton run --supervise</c>, or PID 1).</summary>
    public const string SupervisedName = "BATON_SUPERVISED";

    /// <summary>Pids of older generations still draining, comma-separated.</summary>
    public const string DrainingName = "BATON_DRAINING_PIDS";

    /// <summary>
    /// The environment of a process that inherits <paramref name="listeners"/> and the channel end
    /// <paramref name="channelFd"/> (re-exec and supervisor workers alike).
    /// </summary>
    public static Dictionary<string, string> EnvironmentFor(IReadOnlyList<OwnedListener> listeners, int channelFd, int generation) => new()
    {
        [Name] = Format(listeners.Select(l => (l.Fd, l.Key))),
        [ChannelName] = channelFd.ToString(CultureInfo.InvariantCulture),
        [Lifecycle.ProcessIdentity.GenerationVariable] = generation.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The fds such a process inherits: the listeners and the channel end.</summary>
    public static int[] InheritedFds(IReadOnlyList<OwnedListener> listeners, int channelFd) => [.. listeners.Select(l => l.Fd), channelFd];

    public static string Format(IEnumerable<(int Fd, string Key)> entries)
        => string.Join(',', entries.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Fd}={e.Key}")));

    /// <summary>Parses the variable; false with a one-line error naming the bad entry and the expected form.</summary>
    public static bool TryParse(string value, out List<(int Fd, string Key)> entries, out string error)
    {
        entries = new();
        error = "";
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Length - 1
                || !int.TryParse(part.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) || fd < 3)
            {
                error = $"{Name}: bad entry '{part}'; expected fd=key pairs such as '3=public,4=@admin' with fd >= 3";
                return false;
            }

            var key = part[(eq + 1)..];
            if (entries.Any(e => e.Fd == fd || e.Key == key))
            {
                error = $"{Name}: fd {fd} or key '{key}' appears twice";
                return false;
            }

            entries.Add((fd, key));
        }

        if (entries.Count == 0)
        {
            error = $"{Name} is set but names no fd; expected fd=key pairs such as '3=public'";
            return false;
        }

        return true;
    }

    public static int[] ParsePids(string? value) => (value ?? "")
        .Split(',', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
        .Where(p => p > 0)
        .ToArray();
}
