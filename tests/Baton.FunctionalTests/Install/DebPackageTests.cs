using System.Diagnostics;
using System.Net;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;

namespace Baton.FunctionalTests.Install;

/// <summary>
/// What an operator installs, built by eng/release.sh from the native executable and installed on
/// this machine: the .deb installs the binary, the conffile, the units and the baton user; the
/// installed config passes <c>check</c>; the installed binary, run as the baton user on that config,
/// proxies a request; remove keeps the conffile, purge leaves nothing. The tarball is usable by
/// hand. Runs as root (CI does); otherwise through <c>sudo -n</c>.
/// </summary>
public class DebPackageTests : IDisposable
{
    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(15);
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("baton-release-");

    [Fact]
    public async Task ReleaseArtifacts_InstallRunAsTheBatonUserAndPurgeCleanly()
    {
        var (tarball, deb) = await BuildAsync();
        Assert.Equal($"baton-{RepoFiles.Version}-linux-x64.tar.gz", Path.GetFileName(tarball));
        Assert.Equal($"baton_{RepoFiles.Version}_amd64.deb", Path.GetFileName(deb));
        await TarballIsUsableByHandAsync(tarball);

        await Sh(root: true, "dpkg", "--purge", "baton"); // a leftover of an interrupted run
        try
        {
            await InstallAsync(deb);
            await RunInstalledAsync();

            // Remove keeps the edited config (a conffile); purge takes it, the user and the group.
            Assert.Equal(0, (await Sh(root: true, "dpkg", "--remove", "baton")).ExitCode);
            Assert.False(File.Exists("/usr/bin/baton"));
            Assert.True(File.Exists("/etc/baton/baton.json"));
            var purge = await Sh(root: true, "dpkg", "--purge", "baton");
            Assert.True(purge.ExitCode == 0, purge.ToString());
            Assert.False(Directory.Exists("/etc/baton"));
            Assert.False(File.Exists("/usr/lib/systemd/system/baton.service"));
            Assert.NotEqual(0, (await Sh(root: false, "getent", "passwd", "baton")).ExitCode);
            Assert.NotEqual(0, (await Sh(root: false, "getent", "group", "baton")).ExitCode);
            Assert.DoesNotContain("installed", (await Sh(root: false, "dpkg-query", "-W", "-f=${Status}", "baton")).Stdout);
        }
        finally
        {
            await Sh(root: true, "dpkg", "--purge", "baton");
        }
    }

    public void Dispose() => _work.Delete(recursive: true);

    private async Task<(string Tarball, string Deb)> BuildAsync()
    {
        var release = await Sh(root: false, s_buildTimeout, "bash", RepoFiles.PathOf("eng/release.sh"), "--output", _work.FullName);
        Assert.True(release.ExitCode == 0, release.ToString());
        var lines = release.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (lines[^2], lines[^1]);
    }

    private async Task TarballIsUsableByHandAsync(string tarball)
    {
        var top = $"baton-{RepoFiles.Version}-linux-x64/";
        var listing = (await Sh(root: false, "tar", "-tzf", tarball)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in new[] { "baton", "baton.json", "systemd/baton.service", "systemd/baton.socket", "README.md", "docs/installation.md", "docs/tls.md" })
        {
            Assert.Contains(top + file, listing);
        }

        var unpacked = Directory.CreateDirectory(Path.Combine(_work.FullName, "unpacked")).FullName;
        Assert.Equal(0, (await Sh(root: false, "tar", "-xzf", tarball, "-C", unpacked)).ExitCode);

        // The native executable: no .NET runtime on the path, none beside it, and it runs.
        var check = await Sh(root: false, TimeSpan.FromSeconds(60), "env", "-u", "DOTNET_ROOT", "PATH=/usr/bin:/bin",
            Path.Combine(unpacked, top, "baton"), "check", "--config", Path.Combine(unpacked, top, "baton.json"));
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.DoesNotContain(listing, f => f.EndsWith(".dll", StringComparison.Ordinal));
    }

    private static async Task InstallAsync(string deb)
    {
        var contents = (await Sh(root: false, "dpkg-deb", "--contents", deb)).Stdout;
        Assert.DoesNotContain(".dll", contents);
        var install = await Sh(root: true, "dpkg", "--install", deb);
        Assert.True(install.ExitCode == 0, install.ToString());

        Assert.Equal("install ok installed", (await Sh(root: false, "dpkg-query", "-W", "-f=${Status}", "baton")).Stdout);
        Assert.Contains("/etc/baton/baton.json", (await Sh(root: false, "dpkg-query", "-W", "-f=${Conffiles}", "baton")).Stdout);
        Assert.True(File.GetUnixFileMode("/usr/bin/baton").HasFlag(UnixFileMode.OtherExecute));
        var unit = File.ReadAllText("/usr/lib/systemd/system/baton.service");
        Assert.Contains("User=baton", unit);
        Assert.Contains("ExecStart=/usr/bin/baton run --config /etc/baton/baton.json", unit);
        Assert.True(File.Exists("/usr/lib/systemd/system/baton.socket"));

        // The system user the unit runs as: created by postinst, no login, no home.
        var passwd = (await Sh(root: false, "getent", "passwd", "baton")).Stdout.Split(':');
        Assert.InRange(int.Parse(passwd[2], System.Globalization.CultureInfo.InvariantCulture), 1, 999);
        Assert.Equal("/usr/sbin/nologin", passwd[6]);
        var owner = (await Sh(root: false, "stat", "-c", "%U:%G %a", "/etc/baton/baton.json")).Stdout;
        Assert.Equal("root:baton 640", owner);

        var check = await Sh(root: true, AsBaton(["/usr/bin/baton", "check", "--config", "/etc/baton/baton.json"]));
        Assert.True(check.ExitCode == 0, check.ToString());
    }

    private static async Task RunInstalledAsync()
    {
        await using var upstream = await DemoUpstream.StartAsync("upstream-installed");

        // The installed config as it is, with ports and upstream of this test (BATON_ overrides).
        string[] command =
        [
            .. Root, "env",
            "BATON_Baton__Listeners__public__Address=127.0.0.1:0",
            "BATON_Baton__Admin__Address=127.0.0.1:0",
            $"BATON_ReverseProxy__Clusters__app__Destinations__app__Address={upstream.Url}",
            .. AsBaton(["/usr/bin/baton", "run", "--config", "/etc/baton/baton.json", "--log-format", "json"]),
        ];
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command[1..])
        {
            psi.ArgumentList.Add(a);
        }

        await using var baton = BatonProcess.Start(psi);
        var started = await baton.WaitForEventAsync(BatonEventIds.Started, BatonTestHost.Timeout);
        var pid = started.Get("Pid")!;
        var status = File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        var batonUid = (await Sh(root: false, "id", "-u", "baton")).Stdout;
        Assert.Equal(batonUid, status.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);

        var address = baton.Events.Last(e => e.EventId == BatonEventIds.ProxyListening && e.Get("Key") == "public").Get("EndPoint");
        using var client = Clients.Http1();
        var response = await client.GetAsync(new Uri($"http://{address}/"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello from upstream-installed\n", await response.Content.ReadAsStringAsync());

        Assert.Equal(0, (await Sh(root: true, "kill", "-TERM", pid)).ExitCode);
        Assert.Equal(ExitCodes.Success, await baton.Exited.WaitAsync(BatonTestHost.Timeout));
    }

    /// <summary><c>sudo -n</c> when not root; nothing when root.</summary>
    private static string[] Root => GetUid() == 0 ? [] : ["sudo", "-n"];

    /// <summary>Runs a command as the baton user: setpriv execs it, so its pid is the command's own.</summary>
    private static string[] AsBaton(string[] command) => ["setpriv", "--reuid=baton", "--regid=baton", "--init-groups", .. command];

    private static Task<CliResult> Sh(bool root, string file, params string[] args) => Sh(root, TimeSpan.FromSeconds(60), [file, .. args]);

    private static Task<CliResult> Sh(bool root, string[] command) => Sh(root, TimeSpan.FromSeconds(60), command);

    private static Task<CliResult> Sh(bool root, TimeSpan timeout, params string[] command)
    {
        string[] full = root ? [.. Root, .. command] : command;
        return RunAsync(full, timeout);
    }

    private static async Task<CliResult> RunAsync(string[] command, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', command)} did not finish within {timeout}");
        }

        return new CliResult(process.ExitCode, (await stdout).Trim(), (await stderr).Trim());
    }

    private static uint GetUid() => uint.Parse(File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
}
