using System.Diagnostics;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Xunit.Abstractions;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// After the handoff the old process shares the listening sockets with the new one. If its fds stayed
/// in .NET's epoll set it would wake for every connection the new process accepts (~4,000/s under
/// load, measured on .NET 10); Baton removes them (EPOLL_CTL_DEL) before close(2). Measured here.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class DrainCpuTests
{
    /// <summary>At most this share of one core for a process that only waits for one held request.</summary>
    private const double MaxCpuShare = 0.10;

    /// <summary>The name of .NET's socket engine thread, the one that waits in epoll_wait.</summary>
    private const string SocketEngineThread = ".NET Sockets";

    /// <summary>How long each measurement runs: the CPU time of /proc/&lt;pid&gt;/stat counts in 10 ms ticks.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1.5);

    private readonly ITestOutputHelper _output;

    public DrainCpuTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task ReExec_OldProcessDrainingWhileNewOneAcceptsConnections_StaysNearlyIdle()
    {
        await using var held = await HeldUpstream.StartAsync();
        await using var rig = await UpgradeRig.StartAsync(r => held.AddRouteTo(r.Host));
        int old = rig.ServingPid;
        using var client = Clients.Http1();
        var slow = client.GetAsync(new Uri(rig.PublicUri, "held/cpu"));
        await held.WaitForArrivalsAsync(1, UpgradeRig.EventTimeout);
        var step = await rig.ReExecAsync();
        await rig.WaitForFirstGenerationUnboundAsync();
        // The old process left the epoll set right after the handoff (so it takes no new connection
        // from the shared queue); by the time its listeners close there is nothing left to remove.
        var closed = rig.First.Events.Where(e => e.EventId == BatonEventIds.ListenerClosed).ToList();
        Assert.NotEmpty(closed);

        // A new connection per request, all accepted by the new process from the shared sockets.
        var clients = new Dictionary<ClientKind, int> { [ClientKind.NewConnection] = 4 };
        await using var load = new LoadGenerator(rig.PublicUri, rig.H2cUri);
        load.Start(clients);
        await LoadCheck.WaitForRequestsAsync(load, 100);

        Assert.True(ProcessWatch.HasThread(old, SocketEngineThread), $"no '{SocketEngineThread}' thread in pid {old}: the runtime renamed its epoll thread; update the test");
        long requests0 = load.Started;
        long oldTicks0 = ProcessWatch.CpuTicks(old), newTicks0 = ProcessWatch.CpuTicks(step.NewPid);
        long wakeups0 = ProcessWatch.ContextSwitches(old), engine0 = ProcessWatch.ContextSwitches(old, SocketEngineThread);
        var window = Stopwatch.StartNew();
        // The window: at least 1.5 s (the tick is 10 ms) and at least 1,000 new connections.
        var deadline = UpgradeRig.EventTimeout;
        while (window.Elapsed < Window || load.Started - requests0 < 1000)
        {
            Assert.True(window.Elapsed < deadline, $"only {load.Started - requests0} requests in {window.Elapsed}");
            await Task.Delay(50);
        }

        long oldTicks1 = ProcessWatch.CpuTicks(old), newTicks1 = ProcessWatch.CpuTicks(step.NewPid);
        long wakeups1 = ProcessWatch.ContextSwitches(old), engine1 = ProcessWatch.ContextSwitches(old, SocketEngineThread);
        var seconds = window.Elapsed.TotalSeconds;
        long requests = load.Started - requests0;
        Assert.False(slow.IsCompleted, "the old process must have been draining for the whole window");
        Assert.True(ProcessWatch.IsAlive(old));

        held.Release();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await slow.WaitAsync(UpgradeRig.EventTimeout)).StatusCode);
        await load.StopAsync();
        await rig.AssertDrainedAndExitedAsync(old);
        await rig.StopServingAsync();

        double tick = ProcessWatch.ClockTicksPerSecond;
        double oldShare = (oldTicks1 - oldTicks0) / tick / seconds;
        double newShare = (newTicks1 - newTicks0) / tick / seconds;
        double wakeupsPerSecond = (wakeups1 - wakeups0) / seconds;
        double engineWakeupsPerSecond = (engine1 - engine0) / seconds;
        _output.WriteLine($"over {seconds:0.00} s of the old process's drain, {requests / seconds:0} new connections/s to the new process:");
        _output.WriteLine($"  old pid {old}: {oldTicks1 - oldTicks0} ticks = {oldShare:P1} of one core; {wakeupsPerSecond:0} context switches/s, of which its epoll thread: {engineWakeupsPerSecond:0}/s");
        _output.WriteLine($"  new pid {step.NewPid}: {newTicks1 - newTicks0} ticks = {newShare:P1} of one core");
        LoadCheck.AssertNoneFailed(load.Samples, clients.Keys);
        Assert.True(oldShare < MaxCpuShare, $"the draining old process used {oldShare:P1} of a core while the new one accepted {requests / seconds:0} connections/s ({wakeupsPerSecond:0} wake-ups/s)");
        // With the fds still registered, its epoll thread wakes for about every connection it does not
        // accept (measured: ~0.7-1 per connection, yet under 2% of a core at ~1,000/s, so the CPU
        // share alone would not show it); with them removed it does not wake at all.
        Assert.True(engineWakeupsPerSecond < requests / seconds / 10,
            $"the old process's epoll thread woke {engineWakeupsPerSecond:0} times/s for {requests / seconds:0} new connections/s it does not accept");
    }
}
