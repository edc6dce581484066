using Baton.Hosting.Diagnostics;
using Baton.Testing;
using Spectre.Console;

namespace Baton.Demo;

/// <summary>Runs the demo's phases against a running Baton: steady load, upgrades, shutdown.</summary>
internal sealed class DemoRunner
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(90);
    private readonly BatonProcess _baton;
    private readonly LoadGenerator _load;
    private readonly DemoReport _report;
    private readonly DemoOptions _options;
    private readonly bool _live;

    public DemoRunner(BatonProcess baton, LoadGenerator load, DemoReport report, DemoOptions options, string workDirectory, bool live)
    {
        _baton = baton;
        _load = load;
        _report = report;
        _options = options;
        _live = live;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var clients = new Dictionary<ClientKind, int>
        {
            [ClientKind.KeepAlive] = 4,
            [ClientKind.NewConnection] = 2,
            [ClientKind.H2c] = 2,
            [ClientKind.Slow] = 1,
            [ClientKind.Streamed] = 1,
            [ClientKind.WebSocket] = 1,
        };

        if (_live)
        {
            await AnsiConsole.Status().StartAsync("steady", async ctx => await PhasesAsync(clients, text => ctx.Status(text), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        else
        {
            // Not a terminal (a pipe, a log, CI): one line per phase instead of a status line per tick.
            Console.WriteLine($"baton demo: Baton pid {_baton.Pid}, {clients.Values.Sum()} clients of {clients.Count} kinds");
            await PhasesAsync(clients, _ => { }, cancellationToken).ConfigureAwait(false);
        }

        _report.Add(_load.Samples);
    }

    private async Task PhasesAsync(Dictionary<ClientKind, int> clients, Action<string> status, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        using var ticker = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var progress = Task.Run(async () =>
        {
            long last = 0;
            var lastAt = DateTimeOffset.UtcNow;
            while (await ticker.WaitForNextTickAsync().ConfigureAwait(false))
            {
                var samples = _load.Samples;
                var now = DateTimeOffset.UtcNow;
                var rate = (samples.Count - last) / Math.Max(0.001, (now - lastAt).TotalSeconds);
                last = samples.Count;
                lastAt = now;
                status($"[bold]{_load.Phase}[/]  elapsed {(now - started).TotalSeconds:0.0}s  {rate:0} req/s  failed {samples.Count(s => !s.Ok && !s.Refused)}");
            }
        });

        _load.Phase = "steady";
        _load.Start(clients);
        Progress($"load for {_options.Duration.TotalSeconds:0.#} s, {_options.Upgrades} upgrade(s), stop");
        await Task.Delay(_options.Duration, cancellationToken).ConfigureAwait(false);

        for (int i = 1; i <= _options.Upgrades; i++)
        {
            _load.Phase = $"upgrade {i}";
            await UpgradeOnceAsync(i).ConfigureAwait(false);
            await Task.Delay(_options.Duration, cancellationToken).ConfigureAwait(false);
        }

        _load.Phase = "shutdown";
        await ShutdownAsync().ConfigureAwait(false);
        ticker.Dispose();
        await progress.ConfigureAwait(false);
    }

    private async Task UpgradeOnceAsync(int n)
    {
        var serving = _report.CurrentPid ?? _baton.Pid;
        var signalled = DateTimeOffset.UtcNow;
        Signals.Send(serving, Signals.SIGQUIT);
        var ready = await _baton.WaitForEventAsync(BatonEventIds.UpgradeReady, EventTimeout, e => e.Get("OldPid") == serving.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
        var newPid = int.Parse(ready.Get("NewPid")!, System.Globalization.CultureInfo.InvariantCulture);
        // Signal → the new process accepting (its Started event, logged once its listeners accept).
        var started = await _baton.WaitForEventAsync(BatonEventIds.Started, EventTimeout, e => e.Get("Pid") == ready.Get("NewPid")).ConfigureAwait(false);
        var upgradeTime = started.Timestamp - signalled;
        var exit = await _baton.WaitForEventAsync(BatonEventIds.ShutdownComplete, EventTimeout, e => e.Get("Pid") == serving.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
        var drained = await _baton.WaitForEventAsync(BatonEventIds.DrainCompleted, EventTimeout, e => e.Get("Pid") == serving.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
        _report.Upgrade(n, serving, newPid, upgradeTime, drained.Get("AfterLastMs"));
        Progress($"upgrade {n}: pid {serving} -> {newPid} in {upgradeTime.TotalMilliseconds:0} ms");
        _report.CurrentPid = newPid;
        _ = exit;
    }

    private async Task ShutdownAsync()
    {
        var serving = _report.CurrentPid ?? _baton.Pid;
        var pidText = serving.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Signals.Send(serving, Signals.SIGTERM);
        // Load balancers route away during the grace period; the demo's clients stop when it ends.
        await _baton.WaitForEventAsync(BatonEventIds.GracePeriodEnded, EventTimeout).ConfigureAwait(false);
        await _load.StopAsync().ConfigureAwait(false);
        var complete = await _baton.WaitForEventAsync(BatonEventIds.ShutdownComplete, EventTimeout, e => e.Get("Pid") == pidText).ConfigureAwait(false);
        var drained = await _baton.WaitForEventAsync(BatonEventIds.DrainCompleted, EventTimeout, e => e.Get("Pid") == pidText).ConfigureAwait(false);
        _report.ExitCode = int.Parse(complete.Get("ExitCode") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        _report.ShutdownDrain = drained.Get("AfterLastMs");
        Progress($"shutdown: pid {serving} exited with {_report.ExitCode}");
    }

    /// <summary>A progress line when the live status display is off (stdout is not a terminal).</summary>
    private void Progress(string line)
    {
        if (!_live && !_options.Json)
        {
            Console.WriteLine($"baton demo: {line}");
        }
    }
}
