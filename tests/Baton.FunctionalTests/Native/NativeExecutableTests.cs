using System.Net;
using System.Text.Json;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Native;

/// <summary>
/// What ships is what is tested: the harness runs the native executable (published by
/// eng/publish-native.sh when this project builds), an upgrade re-executes that same file, and the
/// JIT build (dotnet build / dotnet run) still starts and proxies.
/// </summary>
public class NativeExecutableTests
{
    private static string Configured => (string)AppContext.GetData(BatonProcess.ExecutableOption)!;

    [Fact]
    public async Task Harness_RunsTheNativeExecutable_WithNoRuntimeLoaded()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();

        var response = await client.GetAsync(new Uri(host.PublicUri, "whoami"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Path.GetFullPath(Configured), ExecutableOf(host.Baton.Pid));
        Assert.DoesNotContain("libcoreclr.so", File.ReadAllText($"/proc/{host.Baton.Pid}/maps"));
    }

    [Fact]
    public async Task Upgrade_ReExecutesTheRunningNativeExecutable()
    {
        await using var host = await BatonTestHost.StartAsync(h => h.Lifecycle["EnableZeroDowntime"] = true);
        using var client = Clients.Http1();

        var newPid = await UpgradeAsync(host);

        Assert.Equal(Path.GetFullPath(Configured), ExecutableOf(newPid));
        Assert.Equal("upstream-a", await client.GetStringAsync(new Uri(host.PublicUri, "whoami")));
    }

    [Fact]
    public async Task HarnessDispose_StopsTheGenerationAnUpgradeStarted()
    {
        var host = await BatonTestHost.StartAsync(h => h.Lifecycle["EnableZeroDowntime"] = true);
        int newPid;
        try
        {
            newPid = await UpgradeAsync(host);
        }
        finally
        {
            await host.DisposeAsync();
        }

        // SIGKILL is delivered at once; the wait is only for the kernel to end the orphan (a timeout fails the test too).
        await Upgrade.ProcessWatch.WaitForExitAsync(newPid, BatonTestHost.Timeout);

        Assert.False(Upgrade.ProcessWatch.IsAlive(newPid), $"pid {newPid} still runs");
    }

    [Fact]
    public async Task JitBuild_StillStartsAndProxies()
    {
        await using var host = await BatonTestHost.CreateAsync();
        host.WriteConfig();
        await using var jit = BatonProcess.Start(["run", "--config", host.ConfigPath, "--log-format", "json"], directory: AppContext.BaseDirectory);
        await jit.WaitForEventAsync(BatonEventIds.Started, BatonTestHost.Timeout);
        var listening = await jit.WaitForEventAsync(BatonEventIds.ProxyListening, BatonTestHost.Timeout, e => e.Get("Key") == "public");
        using var client = Clients.Http1();

        var text = await client.GetStringAsync(new Uri($"http://{listening.Get("EndPoint")}/whoami"));

        Assert.Equal("upstream-a", text);
        Assert.Contains("libcoreclr.so", File.ReadAllText($"/proc/{jit.Pid}/maps"));
        Assert.NotEqual(Path.GetFullPath(Configured), ExecutableOf(jit.Pid));
    }

    [Fact]
    public async Task Run_WithoutTlsOrAffinityCookies_LoadsNoOpenSsl_AndReadsNoKeyRing()
    {
        await using var host = await BatonTestHost.CreateAsync();
        host.WriteConfig();
        var home = Directory.CreateTempSubdirectory("baton-home-");
        try
        {
            await using var baton = BatonProcess.Start(["run", "--config", host.ConfigPath, "--log-format", "json"], new Dictionary<string, string> { ["HOME"] = home.FullName });
            await baton.WaitForEventAsync(BatonEventIds.Started, BatonTestHost.Timeout);

            // ASP.NET Core's data protection (added by YARP) made or read a key ring in
            // ~/.aspnet/DataProtection-Keys at every start, and loaded OpenSSL for it.
            Assert.DoesNotContain("libssl", File.ReadAllText($"/proc/{baton.Pid}/maps"));
            Assert.False(Directory.Exists(Path.Combine(home.FullName, ".aspnet")), "a key ring was written under HOME");
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    /// <summary>POST /upgrade; the new pid, once it logged <c>Started</c>.</summary>
    private static async Task<int> UpgradeAsync(BatonTestHost host)
    {
        using var admin = Clients.Admin();
        var response = await admin.PostAsync(new Uri(host.AdminUri, "upgrade"), null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var newPid = body.RootElement.GetProperty("newPid").GetInt32();
        await host.Baton.WaitForEventAsync(BatonEventIds.Started, BatonTestHost.Timeout, e => e.Get("Pid") == newPid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return newPid;
    }

    private static string ExecutableOf(int pid) => new FileInfo($"/proc/{pid}/exe").LinkTarget!;
}
