using System.Collections.Concurrent;
using System.Diagnostics;
using Baton.Testing;

namespace Baton.FunctionalTests.Upstreams;

/// <summary>
/// The sample app (samples/Baton.Sample, Baton.Hosting without YARP) as a real process on a fixed
/// loopback port, so that it can be stopped with SIGTERM and started again on the same port.
/// </summary>
public sealed class SampleApp : IAsyncDisposable
{
    private readonly string[] _extraArgs;
    private Process? _process;
    private ConcurrentQueue<string> _lines = new();
    private TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _history = [];

    private SampleApp(string name, int port, string[] extraArgs)
    {
        Name = name;
        Port = port;
        _extraArgs = extraArgs;
    }

    public string Name { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/";

    /// <summary>Every line of every run, for diagnostics.</summary>
    public IEnumerable<string> Output => _history.Concat(_lines);

    public static async Task<SampleApp> StartAsync(string name, params string[] extraArgs)
    {
        var app = new SampleApp(name, Infrastructure.FreePorts.Reserve(), extraArgs);
        await app.StartAgainAsync();
        return app;
    }

    /// <summary>Starts the process (again) and returns once it listens.</summary>
    public async Task StartAgainAsync()
    {
        _history.AddRange(_lines);
        _lines = new ConcurrentQueue<string>();
        _listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "Baton.Sample.dll"), "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--name", Name }.Concat(_extraArgs))
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        var lines = _lines;
        var listening = _listening;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Enqueue(line);
                if (line.Contains("listening on", StringComparison.Ordinal))
                {
                    listening.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Enqueue(line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(listening.Task, exited, Task.Delay(Infrastructure.BatonTestHost.Timeout)) != listening.Task)
        {
            throw new InvalidOperationException($"sample {Name} did not start:\n{string.Join("\n", lines)}");
        }
    }

    /// <summary>True once the current run printed a line containing <paramref name="text"/>.</summary>
    public bool Printed(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>SIGTERM, then waits for the exit code.</summary>
    public async Task<int> StopAsync()
    {
        var process = _process!;
        Signals.Send(process.Id, Signals.SIGTERM);
        using var timeout = new CancellationTokenSource(Infrastructure.BatonTestHost.Timeout);
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}
