using System.Diagnostics;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// A bad <c>BATON_LISTEN_FDS</c> (what a re-exec'd process inherits) stops <c>baton run</c> before it
/// serves: exit code 2 and one line on stderr naming the variable, the fd and the problem.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class ListenFdsTests
{
    [Theory]
    [InlineData("abc", "BATON_LISTEN_FDS: bad entry 'abc'; expected fd=key pairs")]
    [InlineData("3=", "BATON_LISTEN_FDS: bad entry '3='")]
    [InlineData("900=public", "BATON_LISTEN_FDS: listener 'public': fd 900 is not open")]
    [InlineData("7=public", "BATON_LISTEN_FDS: listener 'public': fd 7 is not a socket")] // fd 7 is a regular file, opened by the shell
    public async Task Run_BadListenFds_ExitsWithUsageAndOneLineNamingTheVariableTheFdAndTheProblem(string value, string expected)
    {
        var result = await RunWithFd7OpenOnARegularFileAsync(value);

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith("baton: ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain(BatonEventIds.Started, result.EventIds);
        Assert.DoesNotContain(BatonEventIds.ProxyListening, result.EventIds);
    }

    [Fact]
    public async Task Run_ListenFdsNamesAClosedLowFd_ExitsWithUsageNamingTheFd()
    {
        // fd 99 is closed at exec, but the .NET runtime opens ~200 fds of its own before Main, so by
        // the time Baton checks, fd 99 may be the runtime's: either way it is refused, naming fd 99.
        var result = await RunWithFd7OpenOnARegularFileAsync("99=public");

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        var line = Assert.Single(result.StderrLines);
        Assert.Contains("BATON_LISTEN_FDS: listener 'public': fd 99 is not ", line);
        Assert.Matches("fd 99 is not (open|a socket|listening|inherited)", line);
    }

    [Fact]
    public async Task Run_ListenFdsNamesAnFdTheRuntimeOpenedItself_IsRefusedAsNotInherited()
    {
        // fd 3 is not passed, so the runtime's first own fd takes the number (/dev/urandom, opened
        // close-on-exec before Main). Issue 11, defect 12: it was checked as if inherited ("not a
        // socket"; a runtime socket would even have been adopted). An inherited fd is never
        // close-on-exec: that tells the two apart.
        var result = await RunWithFd7OpenOnARegularFileAsync("3=public");

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        var line = Assert.Single(result.StderrLines);
        Assert.Contains("BATON_LISTEN_FDS: listener 'public': fd 3 is not inherited", line);
        Assert.DoesNotContain(BatonEventIds.ProxyListening, result.EventIds);
    }

    // baton run --config F, under /bin/sh so that fd 7 is open on a regular file in the child.
    private static async Task<CliResult> RunWithFd7OpenOnARegularFileAsync(string listenFds)
    {
        await using var host = await BatonTestHost.CreateAsync();
        host.WriteConfig();
        var (file, prefix) = BatonProcess.Command();
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-c", "exec \"$@\" 7<\"$0\"", host.ConfigPath, file }.Concat(prefix).Concat(["run", "--config", host.ConfigPath, "--log-format", "json"]))
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["BATON_LISTEN_FDS"] = listenFds;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(BatonCli.Timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"baton run with BATON_LISTEN_FDS={listenFds} did not exit: it started serving\n{await stdout}\n{await stderr}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
