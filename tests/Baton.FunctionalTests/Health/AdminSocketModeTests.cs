using System.Text.Json.Nodes;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Health;

/// <summary>
/// Issue 11, defect 9: the admin Unix socket is mode 0600 whatever the umask (before the fix,
/// <c>umask 000</c> gave <c>srwxrwxrwx</c>: any local user could POST /prestop). Baton's CLI still
/// reaches it (a Unix socket is exempt from the loopback-Host rule).
/// </summary>
public class AdminSocketModeTests
{
    [Fact]
    public async Task AdminUnixSocket_UnderUmask000_IsMode0600_AndTheCliReachesIt()
    {
        await using var host = await BatonTestHost.CreateAsync();
        var socket = Path.Combine(host.Work.FullName, "admin.sock");
        host.Config["Baton"]!["Admin"] = new JsonObject { ["Address"] = $"unix:{socket}" };
        host.WriteConfig();

        // The shell sets the umask and execs Baton: same pid, the umask inherited.
        var psi = BatonProcess.StartInfo(["run", "--config", host.ConfigPath, "--log-format", "json"]);
        var command = new[] { psi.FileName }.Concat(psi.ArgumentList).ToArray();
        psi.FileName = "/bin/sh";
        psi.ArgumentList.Clear();
        foreach (var a in new[] { "-c", "umask 000; exec \"$0\" \"$@\"" }.Concat(command))
        {
            psi.ArgumentList.Add(a);
        }

        await using var baton = BatonProcess.Start(psi);
        await baton.WaitForEventAsync(BatonEventIds.Started, BatonTestHost.Timeout);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
        var status = await BatonCli.RunAsync(["status", "--admin", $"unix:{socket}"]);
        Assert.True(status.ExitCode == 0, status.ToString());
        var preStop = await BatonCli.RunAsync(["prestop", "--admin", $"unix:{socket}"]);
        Assert.True(preStop.ExitCode == 0, preStop.ToString());
    }
}
