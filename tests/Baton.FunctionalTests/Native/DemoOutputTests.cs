using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Native;

/// <summary>
/// <c>baton demo</c> run as CI or a log would run it (stdout a pipe): the native executable drives
/// load through native Baton processes, upgrades once, stops, loses nothing; a few progress lines
/// instead of a status line per tick, and a table that fits the width given in <c>COLUMNS</c>.
/// </summary>
public class DemoOutputTests
{
    [Theory]
    [InlineData(72)]
    [InlineData(132)]
    public async Task Demo_NotATerminal_PrintsAFewProgressLinesAndATableThatFitsTheWidth(int columns)
    {
        var result = await BatonCli.RunAsync(["demo", "--upgrades", "1", "--duration", "00:00:01"],
            new Dictionary<string, string> { ["COLUMNS"] = columns.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            timeout: TimeSpan.FromSeconds(90));

        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.True(result.ExitCode == 0, result.ToString());
        var progress = lines.Where(l => l.StartsWith("baton demo: ", StringComparison.Ordinal)).ToArray();
        Assert.InRange(progress.Length, 3, 6);
        Assert.Contains(progress, l => l.StartsWith("baton demo: upgrade 1: pid ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("0 requests lost", StringComparison.Ordinal));
        Assert.InRange(lines.Length, 8, 30);
        Assert.All(lines, l => Assert.True(l.Length <= columns, $"{l.Length} columns > {columns}: '{l}'"));
        Assert.Contains(lines, l => l.Contains("upgrade 1", StringComparison.Ordinal) && l.Contains('│'));
        Assert.DoesNotContain('\u001b', result.Stdout);
    }
}
