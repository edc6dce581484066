using System.Globalization;
using System.Text.Json.Nodes;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Xunit.Abstractions;

namespace Baton.FunctionalTests.Torture;

/// <summary>
/// The promise, end to end, sized for CI: continuous mixed load (keep-alive, new connection per
/// request, h2c, slow, streamed, WebSocket), ten upgrades by every route (SIGQUIT re-exec,
/// <c>baton upgrade</c>, the upgrade socket), one rollback of a broken config, and a graceful
/// shutdown — and not one accepted request lost.
/// </summary>
public sealed class TortureTests
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(60);
    private readonly ITestOutputHelper _output;

    public TortureTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task TenUpgradesARollbackAndAShutdown_UnderMixedLoad_LoseNothing()
    {
        await using var host = await BatonTestHost.CreateAsync();
        var socketPath = Path.Combine(host.Work.FullName, "upgrade.sock");
        host.Lifecycle["EnableZeroDowntime"] = true;
        host.Lifecycle["SocketPath"] = socketPath;
        host.Lifecycle["UpgradeTimeout"] = "00:00:20";
        host.Lifecycle["ShutdownGracePeriod"] = "00:00:01";
        host.Lifecycle["DrainTimeout"] = "00:00:15";
        await host.StartBatonAsync();
        var generations = new Generations(host.Baton);
        var admin = host.Address("@admin");

        await using var load = new LoadGenerator(host.PublicUri, host.H2cUri);
        load.Start(new Dictionary<ClientKind, int>
        {
            [ClientKind.KeepAlive] = 3,
            [ClientKind.NewConnection] = 2,
            [ClientKind.H2c] = 2,
            [ClientKind.Slow] = 1,
            [ClientKind.Streamed] = 1,
            [ClientKind.WebSocket] = 1,
        });
        await WaitForTrafficAsync(load);

        int serving = host.Baton.Pid;
        for (int i = 1; i <= 10; i++)
        {
            load.Phase = $"upgrade {i}";
            if (i == 5)
            {
                serving = await RollBackBrokenConfigAsync(host, generations, serving, admin);
            }

            serving = (i % 3) switch
            {
                0 => await UpgradeBySignalAsync(generations, serving),
                1 => await UpgradeByCommandAsync(generations, serving, admin),
                _ => await UpgradeBySocketAsync(host, generations, serving),
            };
            await WaitForTrafficAsync(load);
        }

        load.Phase = "shutdown";
        Assert.True(Signals.Send(serving, Signals.SIGTERM));
        await generations.WaitAsync(BatonEventIds.GracePeriodEnded, null);
        await load.StopAsync();
        var complete = await generations.WaitAsync(BatonEventIds.ShutdownComplete, serving);
        Assert.Equal("0", complete.Get("ExitCode"));

        var samples = load.Samples;
        var lost = samples.Where(s => !s.Ok && !(s.Refused && s.Phase == "shutdown")).ToList();
        foreach (var group in samples.GroupBy(s => s.Phase))
        {
            _output.WriteLine($"{group.Key}: {group.Count()} requests, {group.Count(s => !s.Ok)} not ok");
        }

        Assert.True(samples.Count > 1000, $"only {samples.Count} requests were made");
        Assert.True(lost.Count == 0, $"{lost.Count} lost: " + string.Join("; ", lost.Take(5).Select(s => $"{s.Phase} {s.Kind} {s.Error}")));
        foreach (var pid in generations.StartedPids)
        {
            Assert.True(await ExitsAsync(pid), $"pid {pid} still runs 10 s after its shutdown completed");
        }
    }

    // A process logs ShutdownComplete a few tens of milliseconds before it is gone: probe until then.
    private static async Task<bool> ExitsAsync(int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Signals.Send(pid, 0))
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    private async Task<int> UpgradeBySignalAsync(Generations generations, int serving)
    {
        Assert.True(Signals.Send(serving, Signals.SIGQUIT));
        return await generations.ReadyAfterAsync(serving);
    }

    private async Task<int> UpgradeByCommandAsync(Generations generations, int serving, string admin)
    {
        var result = await BatonCli.RunAsync(["upgrade", "--admin", admin]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return await generations.ReadyAfterAsync(serving);
    }

    private async Task<int> UpgradeBySocketAsync(BatonTestHost host, Generations generations, int serving)
    {
        var next = BatonProcess.Start(["run", "--upgrade", "--config", host.ConfigPath, "--log-format", "json"]);
        generations.Add(next);
        var pid = await generations.ReadyAfterAsync(serving);
        Assert.Equal(next.Pid, pid);
        return pid;
    }

    private async Task<int> RollBackBrokenConfigAsync(BatonTestHost host, Generations generations, int serving, string admin)
    {
        var good = File.ReadAllText(host.ConfigPath);
        var broken = (JsonObject)host.Config.DeepClone();
        broken["Baton"]!["Lifecycle"]!["DrainTimeout"] = "not a duration";
        File.WriteAllText(host.ConfigPath, broken.ToJsonString());
        try
        {
            var result = await BatonCli.RunAsync(["upgrade", "--admin", admin]);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("DrainTimeout", result.Stdout + result.Stderr);
            var rolledBack = await generations.WaitAsync(BatonEventIds.UpgradeRolledBack, null);
            _output.WriteLine("rolled back: " + rolledBack.Get("Reason"));
        }
        finally
        {
            File.WriteAllText(host.ConfigPath, good);
        }

        return serving;
    }

    private static async Task WaitForTrafficAsync(LoadGenerator load)
    {
        // At least 200 more requests complete under the current phase before moving on.
        long target = load.Started + 200;
        var deadline = DateTime.UtcNow + EventTimeout;
        while (load.Started < target)
        {
            Assert.True(DateTime.UtcNow < deadline, "the load stalled");
            await Task.Delay(10);
        }
    }

    /// <summary>Every Baton process of the test (re-exec'd generations share their parent's stdout).</summary>
    private sealed class Generations(BatonProcess first)
    {
        private readonly List<BatonProcess> _processes = [first];

        public IEnumerable<int> StartedPids => _processes.SelectMany(p => p.Events)
            .Where(e => e.EventId == BatonEventIds.Started)
            .Select(e => int.Parse(e.Get("Pid")!, CultureInfo.InvariantCulture));

        public void Add(BatonProcess process) => _processes.Add(process);

        public async Task<LogEvent> WaitAsync(int eventId, int? pid)
        {
            string? pidText = pid?.ToString(CultureInfo.InvariantCulture);
            var waits = _processes.Select(p => p.WaitForEventAsync(eventId, EventTimeout, e => pidText is null || e.Get("Pid") == pidText)).ToList();
            while (waits.Count > 0)
            {
                var done = await Task.WhenAny(waits);
                if (done.IsCompletedSuccessfully)
                {
                    return await done;
                }

                waits.Remove(done);
            }

            throw new TimeoutException($"no event {eventId} for pid {pidText}");
        }

        public async Task<int> ReadyAfterAsync(int oldPid)
        {
            var old = oldPid.ToString(CultureInfo.InvariantCulture);
            var waits = _processes.Select(p => p.WaitForEventAsync(BatonEventIds.UpgradeReady, EventTimeout, e => e.Get("OldPid") == old)).ToList();
            var ready = await await Task.WhenAny(waits);
            var newPid = int.Parse(ready.Get("NewPid")!, CultureInfo.InvariantCulture);
            await WaitAsync(BatonEventIds.ShutdownComplete, oldPid);
            return newPid;
        }
    }
}
