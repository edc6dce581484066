using System.Globalization;
using Baton.Testing;
using Spectre.Console;

namespace Baton.Demo;

/// <summary>The demo's results: one row per phase, upgrade timings, and what was lost.</summary>
internal sealed class DemoReport
{
    private readonly List<Sample> _samples = new();
    private readonly List<(int N, int OldPid, int NewPid, TimeSpan UpgradeTime, string? DrainAfterLast)> _upgrades = new();

    public int? CurrentPid { get; set; }

    public int ExitCode { get; set; } = -1;

    public string? ShutdownDrain { get; set; }

    /// <summary>Requests that were accepted and failed (refused connections after the listeners closed are not lost).</summary>
    public int Lost => _samples.Count(s => !s.Ok && !s.Refused);

    public void Add(IEnumerable<Sample> samples) => _samples.AddRange(samples);

    public void Upgrade(int n, int oldPid, int newPid, TimeSpan upgradeTime, string? drainAfterLast)
        => _upgrades.Add((n, oldPid, newPid, upgradeTime, drainAfterLast));

    private IEnumerable<(string Phase, int Requests, int Ok, int Failed, int Refused, double Rps, double P50, double P99)> Rows()
    {
        foreach (var g in _samples.GroupBy(s => s.Phase))
        {
            var lat = g.Where(s => s.Ok && s.Kind is ClientKind.KeepAlive or ClientKind.NewConnection or ClientKind.H2c).Select(s => s.Milliseconds).Order().ToArray();
            var spanSeconds = Math.Max(0.001, (g.Max(s => s.StartedAt) - g.Min(s => s.StartedAt)) / (double)System.Diagnostics.Stopwatch.Frequency);
            yield return (g.Key, g.Count(), g.Count(s => s.Ok), g.Count(s => !s.Ok && !s.Refused), g.Count(s => s.Refused),
                g.Count() / spanSeconds, Percentile(lat, 0.50), Percentile(lat, 0.99));
        }
    }

    public void Render()
    {
        // Compact (inner lines only, one space of padding): fits 72 columns unwrapped.
        var table = new Table().Title("Baton demo (ms: p50, p99, upgrade, exit after the last request)").Border(TableBorder.Minimal);
        foreach (var header in new[] { "phase", "requests", "ok", "lost", "req/s", "p50", "p99", "upgrade", "exit" })
        {
            table.AddColumn(new TableColumn(header) { Padding = new Padding(0, 0, 1, 0) });
        }

        foreach (var r in Rows())
        {
            var up = _upgrades.FirstOrDefault(u => $"upgrade {u.N}" == r.Phase);
            table.AddRow(r.Phase, r.Requests.ToString(CultureInfo.InvariantCulture), r.Ok.ToString(CultureInfo.InvariantCulture),
                r.Failed == 0 ? "[green]0[/]" : $"[red]{r.Failed}[/]", r.Rps.ToString("0", CultureInfo.InvariantCulture),
                r.P50.ToString("0.0", CultureInfo.InvariantCulture), r.P99.ToString("0.0", CultureInfo.InvariantCulture),
                up.N > 0 ? up.UpgradeTime.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) : "",
                Ms(r.Phase == "shutdown" ? ShutdownDrain : up.N > 0 ? up.DrainAfterLast : null));
        }

        AnsiConsole.Write(table);
        foreach (var u in _upgrades)
        {
            AnsiConsole.MarkupLine($"upgrade {u.N}: pid {u.OldPid} -> {u.NewPid}");
        }

        var errors = _samples.Where(s => !s.Ok && !s.Refused).GroupBy(s => $"{s.Kind}: {s.Error}").Take(5);
        foreach (var e in errors)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Key)}[/] x{e.Count()}");
        }

        AnsiConsole.MarkupLine(Lost == 0 && ExitCode == 0
            ? $"[green bold]0 requests lost[/] across {_upgrades.Count} upgrade(s) and a graceful shutdown (exit code {ExitCode})."
            : $"[red bold]{Lost} request(s) lost[/]; Baton exit code {ExitCode}.");
    }

    public Dictionary<string, object?> ToJson() => new()
    {
        ["lost"] = Lost,
        ["exitCode"] = ExitCode,
        ["phases"] = Rows().Select(r => new Dictionary<string, object>
        {
            ["phase"] = r.Phase, ["requests"] = r.Requests, ["ok"] = r.Ok, ["failed"] = r.Failed, ["refused"] = r.Refused,
            ["p50Ms"] = Math.Round(r.P50, 3), ["p99Ms"] = Math.Round(r.P99, 3),
        }).ToArray(),
        ["upgrades"] = _upgrades.Select(u => new Dictionary<string, object?>
        {
            ["n"] = u.N, ["oldPid"] = u.OldPid, ["newPid"] = u.NewPid, ["upgradeTimeMs"] = Math.Round(u.UpgradeTime.TotalMilliseconds, 1), ["oldExitAfterLastRequest"] = u.DrainAfterLast,
        }).ToArray(),
        ["shutdownExitAfterLastRequest"] = ShutdownDrain,
    };

    private static string Ms(string? ms)
        => double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t.ToString("0.0", CultureInfo.InvariantCulture) : "";

    private static double Percentile(double[] sorted, double p)
        => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
