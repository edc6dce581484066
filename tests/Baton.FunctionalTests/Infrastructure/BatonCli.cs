using System.Diagnostics;
using System.Text.Json;
using Baton.Testing;

namespace Baton.FunctionalTests.Infrastructure;

/// <summary>What one run of the <c>baton</c> binary printed, with stdout and stderr kept apart.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The event ids of the JSON log lines on stdout (<c>--log-format json</c>).</summary>
    public IReadOnlyList<int> EventIds => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(l => l.StartsWith('{'))
        .Select(l =>
        {
            try
            {
                using var doc = JsonDocument.Parse(l);
                return doc.RootElement.TryGetProperty("EventId", out var id) ? id.GetInt32() : -1;
            }
            catch (JsonException)
            {
                return -1;
            }
        })
        .Where(id => id >= 0)
        .ToArray();

    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs the real <c>baton</c> binary to completion (for commands that are expected to exit, such as
/// <c>check</c> or <c>run</c> with a bad config). A process still running at the deadline is
/// killed and reported as a failure, so a config that wrongly starts the proxy fails the test.
/// </summary>
public static class BatonCli
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static async Task<CliResult> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var psi = BatonProcess.StartInfo(args, environment);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"baton {string.Join(' ', args)} did not exit within {timeout ?? Timeout}:\n{await stdout}\n{await stderr}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
