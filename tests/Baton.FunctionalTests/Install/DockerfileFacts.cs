using System.Text.Json;

namespace Baton.FunctionalTests.Install;

/// <summary>One stage of a Dockerfile: its base, name and instructions (continuation lines joined, comments dropped).</summary>
internal sealed record DockerStage(string From, string? Name, IReadOnlyList<(string Instruction, string Arguments)> Instructions)
{
    public IEnumerable<string> All(string instruction)
        => Instructions.Where(i => i.Instruction == instruction).Select(i => i.Arguments);

    public string? Last(string instruction) => All(instruction).LastOrDefault();

    /// <summary>The destination of the <c>COPY</c> whose source is <paramref name="source"/>.</summary>
    public string? CopyDestination(string source)
        => All("COPY").Select(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToArray())
            .Where(w => w.Length == 2 && w[0] == source).Select(w => w[1]).FirstOrDefault();

    /// <summary>An exec-form (JSON array) instruction's words, or null for the shell form.</summary>
    public static string[]? ExecForm(string? arguments)
    {
        if (arguments is null || !arguments.TrimStart().StartsWith('['))
        {
            return null;
        }

        return JsonSerializer.Deserialize(arguments, InstallJsonContext.Default.StringArray);
    }
}

/// <summary>Reads a Dockerfile into its stages: enough of the format to check facts, no engine needed.</summary>
internal static class DockerfileFacts
{
    public static List<DockerStage> Parse(string text)
    {
        var stages = new List<DockerStage>();
        List<(string, string)>? current = null;
        var logical = new List<string>();
        var pending = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            logical.Add(pending + line);
            pending = "";
        }

        foreach (var line in logical.Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            var instruction = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : line[(space + 1)..].Trim();
            if (instruction == "FROM")
            {
                var words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                current = new List<(string, string)>();
                stages.Add(new DockerStage(words[0], words.Length >= 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null, current));
            }
            else
            {
                (current ?? throw new FormatException($"'{line}' before any FROM")).Add((instruction, arguments));
            }
        }

        return stages;
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class InstallJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
