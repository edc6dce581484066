using System.Text;

namespace Baton.Hosting.Handoff;

/// <summary>What a re-exec upgrade runs: <c>Lifecycle:UpgradeCommand</c>, else this process's own command line.</summary>
internal static class UpgradeCommandLine
{
    /// <summary>Flags that must not pass to the re-exec'd process or a worker (it inherits its sockets instead).</summary>
    private static readonly string[] s_dropped = ["--upgrade", "--supervise"];

    public static IReadOnlyList<string> Resolve(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Split(configured);
        }

        var exe = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this process's executable is unknown");
        var args = Environment.GetCommandLineArgs();
        var command = new List<string> { exe };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
        {
            command.Add(args[0]); // dotnet baton.dll …
        }

        command.AddRange(args.Skip(1).Where(a => !s_dropped.Contains(a)));
        return command;
    }

    /// <summary>Splits a command line on spaces, honouring single and double quotes.</summary>
    public static List<string> Split(string commandLine)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        char quote = '\0';
        bool any = false;
        foreach (var c in commandLine)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                any = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (any || current.Length > 0)
                {
                    parts.Add(current.ToString());
                    current.Clear();
                    any = false;
                }
            }
            else
            {
                current.Append(c);
            }
        }

        if (any || current.Length > 0)
        {
            parts.Add(current.ToString());
        }

        return parts;
    }
}
