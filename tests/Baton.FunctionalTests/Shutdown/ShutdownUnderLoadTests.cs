using System.Diagnostics;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Xunit.Abstractions;
using static Baton.FunctionalTests.Shutdown.ShutdownProbes;

namespace Baton.FunctionalTests.Shutdown;

/// <summary>A graceful shutdown under continuous load loses nothing that was accepted.</summary>
[Collection(ShutdownCollection.Name)]
public class ShutdownUnderLoadTests
{
    private readonly ITestOutputHelper _output;

    public ShutdownUnderLoadTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task SigTerm_UnderContinuousLoad_FailsNoAcceptedRequest()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Lifecycle["ShutdownGracePeriod"] = Duration(TimeSpan.FromSeconds(1)));
        await using var http1 = new LoadGenerator(host.PublicUri);
        await using var h2c = new LoadGenerator(host.H2cUri);
        http1.Start(new Dictionary<ClientKind, int> { [ClientKind.KeepAlive] = 4, [ClientKind.NewConnection] = 4, [ClientKind.Streamed] = 1 });
        h2c.Start(new Dictionary<ClientKind, int> { [ClientKind.H2c] = 3 });
        await UntilAsync(() => http1.Samples.Count(s => s.Ok) >= 200 && h2c.Samples.Count(s => s.Ok) >= 50, "steady load");
        var exited = ExitTimestamp(host.Baton);

        long signalled = Stopwatch.GetTimestamp();
        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        await EventAsync(host.Baton, BatonEventIds.ReadinessWithdrawn);
        SetPhase("grace", http1, h2c);
        await EventAsync(host.Baton, BatonEventIds.GracePeriodEnded);
        SetPhase("drain", http1, h2c);
        int exitCode = await WaitForShutdownAsync(host.Baton);
        SetPhase("stopped", http1, h2c);
        long exitedAt = await exited;
        // Every client sees the closed listeners before it is stopped.
        await UntilAsync(() => new[] { http1, h2c }.All(g => g.Samples.Any(s => s.Phase == "stopped")), "requests after the exit");
        await Task.WhenAll(http1.StopAsync(), h2c.StopAsync());

        var samples = http1.Samples.Concat(h2c.Samples).ToArray();
        foreach (var group in samples.GroupBy(s => (s.Kind, s.Phase)).OrderBy(g => g.Key.Kind).ThenBy(g => g.Key.Phase))
        {
            _output.WriteLine($"{group.Key.Kind,-14} {group.Key.Phase,-8} ok {group.Count(s => s.Ok),6}  refused {group.Count(s => s.Refused),5}  failed {group.Count(s => !s.Ok && !s.Refused),3}");
        }

        _output.WriteLine($"SIGTERM -> exit: {Milliseconds(signalled, exitedAt):0} ms; drain completed: {host.Baton.Events.Single(e => e.EventId == BatonEventIds.DrainCompleted).Message}");
        var failed = samples.Where(s => !s.Ok && !s.Refused).ToArray();
        Assert.True(failed.Length == 0, $"{failed.Length} accepted request(s) failed: {string.Join("; ", failed.Take(10).Select(f => $"{f.Kind}/{f.Phase}: {f.Error}"))}");
        Assert.DoesNotContain(samples, s => s.Refused && s.Phase == "steady");
        Assert.True(samples.Count(s => s.Ok && s.Phase == "grace") >= 20, "requests kept being served during the grace period");
        Assert.Contains(samples, s => s.Refused); // the listeners did close for real
        Assert.Equal(ExitCodes.Success, exitCode);
    }

    private static void SetPhase(string phase, params LoadGenerator[] generators)
    {
        foreach (var g in generators)
        {
            g.Phase = phase;
        }
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(EventTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{what}: not reached within {EventTimeout}");
            }

            await Task.Delay(20);
        }
    }
}
