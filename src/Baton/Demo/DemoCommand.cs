using System.Globalization;
using System.Text.Json;
using Baton.Cli;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Baton.Testing;
using Spectre.Console;

namespace Baton.Demo;

/// <summary>
/// <c>baton demo</c>: a built-in upstream, Baton in front of it (a real child process), load from
/// every kind of client, zero-downtime upgrades, then a graceful shutdown; prints a table per
/// phase and exits 0 only if no accepted request was lost.
/// </summary>
public static class DemoCommand
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(DemoOptions options, CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("baton-demo-");
        await using var upstream = await DemoUpstream.StartAsync("demo-upstream").ConfigureAwait(false);
        var configPath = Path.Combine(work.FullName, "baton.json");
        await File.WriteAllTextAsync(configPath, DemoConfig.Json(upstream.Port, options.Upgrades > 0), cancellationToken).ConfigureAwait(false);

        var report = new DemoReport();
        await using var baton = BatonProcess.Start(["run", "--config", configPath, "--log-format", "json"]);
        try
        {
            await baton.WaitForEventAsync(BatonEventIds.Started, EventTimeout).ConfigureAwait(false);
            var listening = await baton.WaitForEventAsync(BatonEventIds.ProxyListening, EventTimeout, e => e.Get("Key") == "public").ConfigureAwait(false);
            var baseUri = new Uri($"http://{listening.Get("EndPoint")}/");
            var h2c = await baton.WaitForEventAsync(BatonEventIds.ProxyListening, EventTimeout, e => e.Get("Key") == "h2c").ConfigureAwait(false);

            await using var load = new LoadGenerator(baseUri, new Uri($"http://{h2c.Get("EndPoint")}/"));
            var runner = new DemoRunner(baton, load, report, options, work.FullName, live: !options.Json && DemoConsole.IsTerminal);
            await runner.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            Console.Error.WriteLine($"baton demo: {ex.Message}");
            return ExitCodes.Error;
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }

        if (options.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report.ToJson(), CliJsonContext.Default.DictionaryStringObject));
        }
        else
        {
            DemoConsole.FitWidth();
            report.Render();
        }

        return report.Lost == 0 && report.ExitCode == 0 ? ExitCodes.Success : ExitCodes.Error;
    }
}

/// <summary>Where the demo writes: a terminal (live status, its own width) or not (a pipe, a log, CI).</summary>
internal static class DemoConsole
{
    public static bool IsTerminal => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>
    /// Off a terminal Spectre assumes 80 columns and squeezes the table into them; use the width
    /// given in <c>COLUMNS</c>, else let the table take its natural width.
    /// </summary>
    public static void FitWidth()
    {
        if (IsTerminal)
        {
            return;
        }

        AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns >= 20 ? columns : 240;
    }
}

/// <summary>The built-in configuration of the demo (no access log: the demo reads every line Baton prints, and its load would be mostly that).</summary>
internal static class DemoConfig
{
    public static string Json(int upstreamPort, bool upgrades) => $$"""
    {
      "Baton": {
        "Listeners": {
          "public": { "Address": "127.0.0.1:0", "Protocols": "Http1" },
          "h2c": { "Address": "127.0.0.1:0", "Protocols": "Http2" }
        },
        "Lifecycle": {
          "DrainTimeout": "00:00:10",
          "ShutdownGracePeriod": "00:00:01",
          "EnableZeroDowntime": {{(upgrades ? "true" : "false")}}
        },
        "AccessLog": { "Enabled": false }
      },
      "ReverseProxy": {
        "Routes": { "all": { "ClusterId": "app", "Match": { "Path": "{**catch-all}" } } },
        "Clusters": { "app": { "Destinations": { "a": { "Address": "http://127.0.0.1:{{upstreamPort}}/" } } } }
      }
    }
    """;
}
