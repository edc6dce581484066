using System.Diagnostics;
using System.Globalization;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Testing;
using Xunit.Abstractions;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// Baton.Hosting as a library: the sample app (samples/Baton.Sample, a plain minimal API that uses
/// the public API only: AddBatonLifecycle, AddBatonUpgrades, UseBatonLifecycle) upgraded ten times
/// by SIGQUIT under HTTP/1.1 keep-alive and new-connection load loses no request; each old process
/// drains and exits 0, and the PID file names each new one.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class SampleUpgradeTests
{
    private const int Upgrades = 10;
    private readonly ITestOutputHelper _output;

    public SampleUpgradeTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Sample_TenUpgradesUnderKeepAliveAndNewConnectionLoad_NoRequestFailsAndEveryOldProcessExitsZero()
    {
        var work = Directory.CreateTempSubdirectory("baton-sample-upgrade-");
        var pidFile = Path.Combine(work.FullName, "sample.pid");
        int port = FreePorts.Reserve();
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "Baton.Sample.dll"), "--port", Text(port), "--name", "sample",
                     "--pid-file", pidFile, "--log-format", "json", "--grace", "00:00:00" })
        {
            psi.ArgumentList.Add(a);
        }

        // Every generation is a re-exec of the first: they all write to its stdout.
        await using var sample = BatonProcess.Start(psi);
        var pids = new List<int>();
        try
        {
            await sample.WaitForEventAsync(BatonEventIds.PidFileWritten, UpgradeRig.EventTimeout, e => e.Get("Pid") == Text(sample.Pid));
            int serving = sample.Pid;
            pids.Add(serving);
            var clients = new Dictionary<ClientKind, int> { [ClientKind.KeepAlive] = 3, [ClientKind.NewConnection] = 3 };
            await using var load = new LoadGenerator(new Uri($"http://127.0.0.1:{port}/"));
            load.Phase = "before";
            load.Start(clients);
            await LoadCheck.WaitForRequestsAsync(load, 200);

            for (int i = 1; i <= Upgrades; i++)
            {
                load.Phase = $"upgrade {i}";
                var triggered = DateTimeOffset.UtcNow;
                Assert.True(Signals.Send(serving, Signals.SIGQUIT), $"pid {serving} is gone");
                var ready = await sample.WaitForEventAsync(BatonEventIds.UpgradeReady, UpgradeRig.EventTimeout,
                    e => e.Received >= triggered && e.Get("OldPid") == Text(serving));
                int next = int.Parse(ready.Get("NewPid")!, CultureInfo.InvariantCulture);
                pids.Add(next); // killed in finally whatever fails below
                await sample.WaitForEventAsync(BatonEventIds.PidFileWritten, UpgradeRig.EventTimeout, e => e.Get("Pid") == Text(next));
                var done = await sample.WaitForEventAsync(BatonEventIds.ShutdownComplete, UpgradeRig.EventTimeout, e => e.Get("Pid") == Text(serving));
                Assert.Equal("0", done.Get("ExitCode"));
                await ProcessWatch.WaitForExitAsync(serving, UpgradeRig.EventTimeout);
                Assert.Equal($"{next}\n", await File.ReadAllTextAsync(pidFile));
                serving = next;
                await LoadCheck.WaitForRequestsAsync(load, load.Started + 100);
            }

            load.Phase = "after";
            await LoadCheck.WaitForRequestsAsync(load, load.Started + 100);
            await load.StopAsync();
            var samples = load.Samples;
            _output.WriteLine($"{Upgrades} upgrades ({string.Join(" -> ", pids)}); load: {LoadCheck.Summary(samples)}");
            LoadCheck.AssertNoneFailed(samples, clients.Keys);
        }
        finally
        {
            foreach (var pid in pids.Where(ProcessWatch.IsAlive))
            {
                Signals.Send(pid, Signals.SIGKILL);
            }

            work.Delete(recursive: true);
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
