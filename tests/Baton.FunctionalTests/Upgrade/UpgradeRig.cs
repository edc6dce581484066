using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// A Baton under test with upgrades on (<c>EnableZeroDowntime</c>, an upgrade socket and a PID file
/// in the test's directory), and every generation it grows. Re-exec'd generations write to the
/// stdout of the process that started the chain, so each pid is mapped to the
/// <see cref="BatonProcess"/> whose event stream carries its log. Dispose kills every generation
/// still alive, whichever way it was started.
/// </summary>
internal sealed class UpgradeRig : IAsyncDisposable
{
    public static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    private readonly List<BatonProcess> _processes = new();
    private readonly Dictionary<int, BatonProcess> _streamOf = new();

    private UpgradeRig(BatonTestHost host)
    {
        Host = host;
        SocketPath = Path.Combine(host.Work.FullName, "upgrade.sock");
        PidFile = Path.Combine(host.Work.FullName, "baton.pid");
    }

    public BatonTestHost Host { get; }

    public string SocketPath { get; }

    public string PidFile { get; }

    /// <summary>The event stream that carries the serving generation's log.</summary>
    public BatonProcess Current { get; private set; } = null!;

    /// <summary>The generation that serves now (the last one that reported ready).</summary>
    public int ServingPid { get; private set; }

    /// <summary>Extra environment for the first process (set in the configure callback of <see cref="StartAsync"/>).</summary>
    public Dictionary<string, string> StartEnvironment { get; } = new();

    /// <summary>Where the first process's <c>baton</c> is (a wrapper, for socket activation); default: this build's.</summary>
    public string? StartDirectory { get; set; }

    /// <summary>An fd of the test process the first process inherits (close-on-exec cleared for exactly that spawn).</summary>
    public int? InheritFd { get; set; }

    /// <summary>The first process: its events name the listeners' real addresses.</summary>
    public BatonProcess First { get; private set; } = null!;

    /// <summary>Every event of every process the test started (and of the generations they re-exec'd).</summary>
    public IEnumerable<LogEvent> AllEvents => _processes.SelectMany(p => p.Events);

    public Uri PublicUri => new($"http://{Address("public")}/");

    public Uri H2cUri => new($"http://{Address("h2c")}/");

    public Uri AdminUri => new($"http://{Address("@admin")}/");

    /// <summary>A pid as the JSON log writes it.</summary>
    public static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The address a listener bound (port 0 resolved), from the first process's <c>ProxyListening</c>; every generation keeps it.</summary>
    public string Address(string key)
        => First.Events.First(e => e.EventId == BatonEventIds.ProxyListening && e.Get("Key") == key).Get("EndPoint")!;

    /// <summary>Creates the default test setup with upgrades on; <paramref name="configure"/> edits it before Baton starts.</summary>
    public static async Task<UpgradeRig> StartAsync(Action<UpgradeRig>? configure = null)
    {
        var host = await BatonTestHost.CreateAsync();
        var rig = new UpgradeRig(host);
        try
        {
            host.Lifecycle["EnableZeroDowntime"] = true;
            host.Lifecycle["SocketPath"] = rig.SocketPath;
            // Generous: a Debug build on a busy 2-core CI machine took up to ~4 s to report ready;
            // the rollback tests set their own short timeouts.
            host.Lifecycle["UpgradeTimeout"] = "00:00:20";
            host.Lifecycle["PidFile"] = rig.PidFile;
            configure?.Invoke(rig);
            host.WriteConfig();
            var first = rig.StartFirst();
            rig._processes.Add(first);
            rig._streamOf[first.Pid] = first;
            rig.First = first;
            rig.Current = first;
            rig.ServingPid = first.Pid;
            await first.WaitForEventAsync(BatonEventIds.Started, BatonTestHost.Timeout);
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>Re-exec: SIGQUIT to the serving process; returns once the new one logged <c>Started</c>.</summary>
    public async Task<UpgradeStep> ReExecAsync()
    {
        int old = ServingPid;
        var stream = Current;
        var triggered = DateTimeOffset.UtcNow;
        Assert.True(Signals.Send(old, Signals.SIGQUIT), $"pid {old} is gone");
        var ready = await ReadyOrFailureAsync(stream, old, triggered, newPid: null);
        int newPid = int.Parse(ready.Get("NewPid")!, CultureInfo.InvariantCulture);
        _streamOf[newPid] = stream;
        var started = await stream.WaitForEventAsync(BatonEventIds.Started, EventTimeout, e => e.Get("Pid") == Text(newPid));
        ServingPid = newPid;
        return Step(old, ready, started, triggered);
    }

    /// <summary>Upgrade socket: starts <c>baton run --upgrade</c>; returns once it logged <c>Started</c>.</summary>
    public async Task<UpgradeStep> ViaSocketAsync()
    {
        int old = ServingPid;
        var stream = Current;
        var triggered = DateTimeOffset.UtcNow;
        var next = StartUpgrader();
        var ready = await ReadyOrFailureAsync(stream, old, triggered, next.Pid);
        var started = await next.WaitForEventAsync(BatonEventIds.Started, EventTimeout, e => e.Get("Pid") == Text(next.Pid));
        Current = next;
        ServingPid = next.Pid;
        return Step(old, ready, started, triggered);
    }

    /// <summary>Starts <c>baton run --upgrade --config F</c> as a new process (tracked and killed at dispose).</summary>
    public BatonProcess StartUpgrader()
    {
        var next = BatonProcess.Start(["run", "--upgrade", "--config", Host.ConfigPath, "--log-format", "json"]);
        _processes.Add(next);
        _streamOf[next.Pid] = next;
        return next;
    }

    /// <summary>
    /// Waits for <c>ShutdownComplete</c> of <paramref name="pid"/> (exit code 0, nothing aborted)
    /// and for the process to be gone; returns its <c>DrainCompleted</c> event.
    /// </summary>
    public async Task<LogEvent> AssertDrainedAndExitedAsync(int pid)
    {
        var stream = _streamOf[pid];
        var complete = await ProbeAsync(stream, e => e.EventId == BatonEventIds.ShutdownComplete && e.Get("Pid") == Text(pid), $"ShutdownComplete of pid {pid}");
        var drained = stream.Events.Single(e => e.EventId == BatonEventIds.DrainCompleted && e.Get("Pid") == Text(pid));
        await ProcessWatch.WaitForExitAsync(pid, EventTimeout);
        Assert.Equal("0", complete.Get("ExitCode"));
        Assert.Equal("0", drained.Get("Aborted"));
        if (_processes.FirstOrDefault(p => p.Pid == pid) is { } started)
        {
            Assert.Equal(0, await started.WaitForExitAsync(EventTimeout)); // the test's own child: the real exit code
        }

        return drained;
    }

    /// <summary>SIGTERM to the serving generation; waits until it drained and exited with 0.</summary>
    public async Task StopServingAsync()
    {
        Assert.True(Signals.Send(ServingPid, Signals.SIGTERM));
        await AssertDrainedAndExitedAsync(ServingPid);
    }

    /// <summary>
    /// Waits until the first generation closed every listener (its <c>ListenerClosed</c> events; the
    /// serving generation closes none before it stops): from then on only the new one accepts.
    /// Only meaningful in a test with a single upgrade.
    /// </summary>
    public async Task WaitForFirstGenerationUnboundAsync()
    {
        foreach (var key in new[] { "public", "h2c", "@admin" })
        {
            await First.WaitForEventAsync(BatonEventIds.ListenerClosed, EventTimeout, e => e.Get("Key") == key);
        }
    }

    /// <summary>Baton's <c>GET /status</c> on the admin listener (whichever generation accepts it).</summary>
    public async Task<JsonElement> StatusAsync()
    {
        using var admin = Clients.Http1(TimeSpan.FromSeconds(5));
        return await admin.GetFromJsonAsync<JsonElement>(new Uri(AdminUri, "status"));
    }

    /// <summary>Probes <c>/status</c> on new connections until <paramref name="pid"/> answers it.</summary>
    public async Task<JsonElement> WaitForStatusFromAsync(int pid)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(EventTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var status = await StatusAsync();
            if (status.GetProperty("pid").GetInt32() == pid)
            {
                return status;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"pid {pid} never answered /status; last: {status}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary><c>baton upgrade --admin ADDR</c> against the running instance.</summary>
    public Task<CliResult> CliUpgradeAsync() => BatonCli.RunAsync(["upgrade", "--admin", Address("@admin")]);

    /// <summary>The <c>message</c> of the JSON result <c>baton upgrade</c> printed.</summary>
    public static string UpgradeMessage(CliResult result)
    {
        try
        {
            using var doc = JsonDocument.Parse(result.Stdout);
            return doc.RootElement.GetProperty("message").GetString() ?? "";
        }
        catch (JsonException)
        {
            throw new Xunit.Sdk.XunitException($"baton upgrade did not print a JSON result:\n{result}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pid in KnownPids())
        {
            // Only a Baton or an upgrade command of this test: never a later process that reused the pid.
            if (pid != Environment.ProcessId && ProcessWatch.IsAlive(pid) && IsOurs(pid))
            {
                Signals.Send(pid, Signals.SIGKILL);
            }
        }

        foreach (var p in _processes)
        {
            await p.DisposeAsync();
        }

        await Host.DisposeAsync();
    }

    private BatonProcess StartFirst()
    {
        string[] args = ["run", "--config", Host.ConfigPath, "--log-format", "json"];
        if (InheritFd is not { } fd)
        {
            return BatonProcess.Start(args, StartEnvironment, StartDirectory);
        }

        // The upgrade tests run alone (their collection is not parallel), so no other spawn can inherit it meanwhile.
        Hosting.Interop.ListenSockets.SetCloseOnExec(fd, false);
        try
        {
            return BatonProcess.Start(args, StartEnvironment, StartDirectory);
        }
        finally
        {
            Hosting.Interop.ListenSockets.SetCloseOnExec(fd, true);
        }
    }

    // Every pid any stream mentions: generations (Started), children that never got that far (ListenersHandedOff).
    private HashSet<int> KnownPids()
    {
        var pids = new HashSet<int>(_streamOf.Keys);
        foreach (var p in _processes)
        {
            foreach (var e in p.Events)
            {
                var pid = e.EventId switch
                {
                    BatonEventIds.Started => e.Get("Pid"),
                    BatonEventIds.ListenersHandedOff or BatonEventIds.UpgradeReady => e.Get("NewPid"),
                    _ => null,
                };
                if (int.TryParse(pid, CultureInfo.InvariantCulture, out var n))
                {
                    pids.Add(n);
                }
            }
        }

        return pids;
    }

    private bool IsOurs(int pid)
    {
        var command = ProcessWatch.CommandLine(pid);
        return command.Contains(Host.ConfigPath, StringComparison.Ordinal) || command.Contains("sleep", StringComparison.Ordinal);
    }

    // The old process logs UpgradeReady (or why not) and may exit soon after: probe its stream rather
    // than BatonProcess.WaitForEventAsync, which gives up when the process exits even if its last
    // lines are still being read.
    private static async Task<LogEvent> ReadyOrFailureAsync(BatonProcess stream, int old, DateTimeOffset triggered, int? newPid)
    {
        var outcome = await ProbeAsync(stream, e =>
            (e.EventId == BatonEventIds.UpgradeReady && e.Get("OldPid") == Text(old) && (newPid is null || e.Get("NewPid") == Text(newPid.Value)))
            || (e.EventId is BatonEventIds.UpgradeRolledBack or BatonEventIds.UpgradeRefused && e.Received >= triggered),
            $"the upgrade of pid {old}");
        return outcome.EventId == BatonEventIds.UpgradeReady
            ? outcome
            : throw new Xunit.Sdk.XunitException($"upgrade of pid {old} failed: {outcome.Message}\nOutput:\n{string.Join('\n', stream.Output.TakeLast(40))}");
    }

    /// <summary>Probes <paramref name="stream"/>'s events until one matches; the deadline is <see cref="EventTimeout"/>.</summary>
    private static async Task<LogEvent> ProbeAsync(BatonProcess stream, Func<LogEvent, bool> match, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(EventTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (stream.Events.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"timed out after {EventTimeout} waiting for {what}. Output:\n{string.Join('\n', stream.Output.TakeLast(40))}");
            }

            await Task.Delay(10);
        }
    }

    private static UpgradeStep Step(int old, LogEvent ready, LogEvent started, DateTimeOffset triggered) => new(
        old,
        int.Parse(ready.Get("NewPid")!, CultureInfo.InvariantCulture),
        int.Parse(started.Get("Generation")!, CultureInfo.InvariantCulture),
        TimeSpan.FromMilliseconds(double.Parse(ready.Get("ElapsedMs")!, CultureInfo.InvariantCulture)),
        ready.Timestamp - triggered);
}
