using System.Diagnostics;
using System.Net;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Xunit.Abstractions;
using static Baton.FunctionalTests.Shutdown.ShutdownProbes;

namespace Baton.FunctionalTests.Shutdown;

/// <summary>Signals other than the first SIGTERM: a second stop signal, SIGQUIT.</summary>
[Collection(ShutdownCollection.Name)]
public class StopSignalTests
{
    private readonly ITestOutputHelper _output;

    public StopSignalTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(Signals.SIGTERM)]
    [InlineData(Signals.SIGINT)]
    public async Task SecondStopSignal_DuringALongGracePeriod_ForcesAFastStop(int second)
    {
        var fastStopTimeout = TimeSpan.FromMilliseconds(500);
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            h.Lifecycle["ShutdownGracePeriod"] = Duration(TimeSpan.FromSeconds(60));
            h.Lifecycle["FastStopTimeout"] = Duration(fastStopTimeout);
        });
        using var client = Clients.Http1();
        var slow = client.GetAsync(new Uri(host.PublicUri, "slow?ms=20000"));
        await WaitForInFlightAsync(host, 1);
        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        await EventAsync(host.Baton, BatonEventIds.ReadinessWithdrawn);

        long signalled = Stopwatch.GetTimestamp();
        Assert.True(host.Baton.Signal(second));

        var fast = await EventAsync(host.Baton, BatonEventIds.FastStopRequested);
        int exitCode = await WaitForShutdownAsync(host.Baton);
        var took = Stopwatch.GetElapsedTime(signalled);
        _output.WriteLine($"second signal -> exit: {took.TotalMilliseconds:0} ms (grace period 60 s, FastStopTimeout {fastStopTimeout.TotalMilliseconds:0} ms)");
        Assert.Equal(second == Signals.SIGTERM ? "SIGTERM" : "SIGINT", fast.Get("Source"));
        Assert.Equal(ExitCodes.RequestsAborted, exitCode); // the slow request was cut short
        Assert.Equal("1", host.Baton.Events.Single(e => e.EventId == BatonEventIds.NotAllRequestsDrained).Get("Count"));
        Assert.Contains(host.Baton.Events, e => e.EventId == BatonEventIds.PhaseChanged && e.Get("Phase") == "Aborting");
        Assert.InRange(took, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        await Assert.ThrowsAnyAsync<Exception>(() => slow.WaitAsync(EventTimeout));
    }

    [Fact]
    public async Task SigQuit_WithoutZeroDowntime_LogsUpgradeDisabledAndKeepsServing()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();

        Assert.True(host.Baton.Signal(Signals.SIGQUIT));

        var disabled = await EventAsync(host.Baton, BatonEventIds.UpgradeDisabled);
        Assert.Equal("SIGQUIT", disabled.Get("Source"));
        var served = await client.GetAsync(new Uri(host.PublicUri, "whoami"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.NotEqual(true, served.Headers.ConnectionClose); // keep-alive: not shutting down
        var ready = await client.GetAsync(new Uri(host.AdminUri, "readyz"));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Running", (await StatusAsync(host)).GetProperty("phase").GetString());
        Assert.False(host.Baton.Exited.IsCompleted);

        // Still a normal process: SIGTERM stops it cleanly.
        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        Assert.Equal(ExitCodes.Success, await WaitForShutdownAsync(host.Baton));
        Assert.DoesNotContain(host.Baton.Events, e => e.EventId == BatonEventIds.PhaseChanged && e.Get("Phase") == "UpgradeStarting");
    }
}
