using System.Globalization;
using System.Net;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Supervision;

/// <summary>
/// <c>baton run --supervise</c> (what PID 1 of a container runs): the supervisor's pid never
/// changes while workers are upgraded or replaced under it, on the same listening sockets.
/// </summary>
public sealed class SupervisorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Supervisor_UpgradesAndReplacesWorkers_WithoutClosingTheListeners()
    {
        await using var host = await BatonTestHost.CreateAsync();
        host.Lifecycle["EnableZeroDowntime"] = true;
        host.WriteConfig();
        await using var supervisor = BatonProcess.Start(["run", "--supervise", "--config", host.ConfigPath, "--log-format", "json"]);
        var started = await supervisor.WaitForEventAsync(BatonEventIds.SupervisorStarted, Timeout);
        var worker1 = started.Get("WorkerPid")!;
        var listening = await supervisor.WaitForEventAsync(BatonEventIds.ProxyListening, Timeout, e => e.Get("Key") == "public");
        var publicUri = new Uri($"http://{listening.Get("EndPoint")}/");
        var admin = supervisor.Events.First(e => e.EventId == BatonEventIds.ProxyListening && e.Get("Key") == "@admin").Get("EndPoint")!;

        await using var load = new LoadGenerator(publicUri);
        load.Start(new Dictionary<ClientKind, int> { [ClientKind.KeepAlive] = 2, [ClientKind.NewConnection] = 2 });

        // SIGQUIT to the supervisor: a new worker; the old one drains and exits 0.
        Assert.True(supervisor.Signal(Signals.SIGQUIT));
        var ready = await supervisor.WaitForEventAsync(BatonEventIds.UpgradeReady, Timeout, e => e.Get("OldPid") == worker1);
        var worker2 = ready.Get("NewPid")!;
        var drained = await supervisor.WaitForEventAsync(BatonEventIds.ShutdownComplete, Timeout, e => e.Get("Pid") == worker1);
        Assert.Equal("0", drained.Get("ExitCode"));

        // `baton upgrade` reaches the worker, which asks the supervisor.
        var result = await BatonCli.RunAsync(["upgrade", "--admin", admin]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var ready3 = await supervisor.WaitForEventAsync(BatonEventIds.UpgradeReady, Timeout, e => e.Get("OldPid") == worker2);
        var worker3 = int.Parse(ready3.Get("NewPid")!, CultureInfo.InvariantCulture);
        await load.StopAsync();
        Assert.All(load.Samples, s => Assert.True(s.Ok, $"{s.Phase} {s.Kind}: {s.Error}"));

        // A worker that dies is replaced on the same sockets: a connection made meanwhile waits
        // in the backlog and is served by the next worker, never refused.
        Assert.True(Signals.Send(worker3, Signals.SIGKILL));
        using (var client = Clients.Http1())
        {
            var response = await client.GetAsync(new Uri(publicUri, "whoami"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var replacement = await supervisor.WaitForEventAsync(BatonEventIds.Started, Timeout, e => e.Get("Generation") == "4");
        Assert.NotEqual(worker3.ToString(CultureInfo.InvariantCulture), replacement.Get("Pid"));

        // SIGTERM to the supervisor stops the worker gracefully; the supervisor exits with its code.
        Assert.True(supervisor.Signal(Signals.SIGTERM));
        Assert.Equal(0, await supervisor.WaitForExitAsync(Timeout));
        Assert.False(Signals.Send(int.Parse(replacement.Get("Pid")!, CultureInfo.InvariantCulture), 0), "the worker outlived its supervisor");
    }
}
