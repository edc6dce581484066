using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Xunit.Abstractions;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>One upgrade, looked at closely: in-flight work, the PID file, status, and how fast the old process goes.</summary>
[Collection(UpgradeCollection.Name)]
public class HandoverTests
{
    private readonly ITestOutputHelper _output;

    public HandoverTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task ReExec_SlowRequestInFlightOnOldProcess_CompletesWhileTheNewProcessServesNewRequests()
    {
        // The slow request is held at the upstream until the new process has served: it cannot
        // finish early on a slow machine and make the test pass without an overlap.
        await using var held = await HeldUpstream.StartAsync();
        await using var rig = await UpgradeRig.StartAsync(r => held.AddRouteTo(r.Host));
        int old = rig.ServingPid;
        using var slowClient = Clients.Http1();
        var slow = Task.Run(async () =>
        {
            using var response = await slowClient.GetAsync(new Uri(rig.PublicUri, "held/slow"));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(), Completed: Stopwatch.GetTimestamp());
        });
        await held.WaitForArrivalsAsync(1, UpgradeRig.EventTimeout);
        var exited = ProcessWatch.WaitForExitAsync(old, UpgradeRig.EventTimeout);

        var step = await rig.ReExecAsync();
        await rig.WaitForFirstGenerationUnboundAsync();

        // Only the new process accepts now; it serves new requests while the old one still runs the slow one.
        using var fresh = Clients.Http1();
        for (int i = 0; i < 5; i++)
        {
            using var response = await fresh.GetAsync(new Uri(rig.PublicUri, "whoami"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("upstream-a", await response.Content.ReadAsStringAsync());
        }

        var status = await rig.StatusAsync();
        Assert.Equal(step.NewPid, status.GetProperty("pid").GetInt32());
        Assert.Equal("Running", status.GetProperty("phase").GetString());
        Assert.False(slow.IsCompleted);
        Assert.True(ProcessWatch.IsAlive(old), "the old process must still be draining");

        held.Release();
        var (code, body, completed) = await slow.WaitAsync(UpgradeRig.EventTimeout);
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("released\n", body);
        var drained = await rig.AssertDrainedAndExitedAsync(old);
        var exitedAt = await exited;
        var afterResponse = Stopwatch.GetElapsedTime(completed, exitedAt).TotalMilliseconds;
        _output.WriteLine($"SIGQUIT -> UpgradeReady {step.Observed.TotalMilliseconds:0} ms (old process's own measure {step.Elapsed.TotalMilliseconds:0} ms); "
            + $"slow response complete -> old process gone {afterResponse:0.0} ms (its own: last request -> drain completed {drained.Get("AfterLastMs")})");
        Assert.True(afterResponse < 1000, $"the old process took {afterResponse:0} ms to exit after its last response");
        await rig.StopServingAsync();
    }

    [Fact]
    public async Task ReExec_Ready_NewProcessWritesPidFileAtomicallyAndStatusReportsGeneration2()
    {
        await using var rig = await UpgradeRig.StartAsync();
        int old = rig.ServingPid;
        Assert.Equal($"{old}\n", await File.ReadAllTextAsync(rig.PidFile));
        // Held open across the upgrade: a file replaced by rename keeps its old content; one rewritten in place would not.
        using var before = new FileStream(rig.PidFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        // Read the PID file as fast as possible across the upgrade: with an atomic rename every read
        // sees a whole pid, the old one or the new one, never an empty, partial or missing file.
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        string? last = null;
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                string content;
                try
                {
                    content = File.ReadAllText(rig.PidFile);
                }
                catch (FileNotFoundException)
                {
                    content = "<missing>";
                }

                if (content != Volatile.Read(ref last))
                {
                    seen.Enqueue(content);
                    Volatile.Write(ref last, content);
                }
            }
        });

        var step = await rig.ReExecAsync();
        var written = await rig.Current.WaitForEventAsync(BatonEventIds.PidFileWritten, UpgradeRig.EventTimeout, e => e.Get("Pid") == UpgradeRig.Text(step.NewPid));
        await WaitUntilAsync(() => Volatile.Read(ref last) == $"{step.NewPid}\n", "the reader to see the new pid");
        stop.Cancel();
        await reader;

        Assert.Equal(rig.PidFile, written.Get("Path"));
        Assert.Equal([$"{old}\n", $"{step.NewPid}\n"], seen.ToArray());
        Assert.Equal($"{step.NewPid}\n", await File.ReadAllTextAsync(rig.PidFile));
        Assert.Equal(["baton.pid"], Directory.GetFiles(rig.Host.Work.FullName, "baton.pid*").Select(Path.GetFileName));
        Assert.Equal($"{old}\n", await new StreamReader(before).ReadToEndAsync());

        await rig.WaitForFirstGenerationUnboundAsync();
        var result = await BatonCli.RunAsync(["status", "--admin", rig.Address("@admin")]);
        Assert.True(result.ExitCode == 0, result.ToString());
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, doc.RootElement.GetProperty("generation").GetInt32());
        Assert.Equal(step.NewPid, doc.RootElement.GetProperty("pid").GetInt32());
        Assert.Equal("Running", doc.RootElement.GetProperty("phase").GetString());
        var listeners = doc.RootElement.GetProperty("listeners").EnumerateArray().ToList();
        Assert.Equal(["@admin", "h2c", "public"], listeners.Select(l => l.GetProperty("key").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(listeners, l => Assert.Equal("Inherited", l.GetProperty("origin").GetString()));
        await rig.AssertDrainedAndExitedAsync(old);
        await rig.StopServingAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + UpgradeRig.EventTimeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}");
            }

            await Task.Delay(5);
        }
    }
}
