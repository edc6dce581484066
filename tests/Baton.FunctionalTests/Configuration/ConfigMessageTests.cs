using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Configuration;

/// <summary>
/// Issue 11, defects 3 and 18: a bad value is exactly one line that names the key and where the
/// value came from (the file or the environment variable), for <c>check</c> and <c>run</c> alike;
/// a bare number is seconds; a listener cannot become the admin listener by its name.
/// </summary>
public class ConfigMessageTests
{
    [Fact]
    public async Task NegativeDrainTimeout_IsOneLineNamingTheKeyAndTheFile()
    {
        using var config = new TempConfig();
        ((JsonObject)config.Baton["Lifecycle"]!)["DrainTimeout"] = "-00:00:01";
        config.Write();

        foreach (var result in await CheckAndRunAsync(config))
        {
            Assert.True(result.ExitCode == 2, result.ToString());
            var line = Assert.Single(result.StderrLines);
            Assert.StartsWith("baton: config error: Baton:Lifecycle:DrainTimeout = '-00:00:01': allowed a duration from 00:00:00.001 to 1.00:00:00", line);
            Assert.EndsWith($"(from {config.Path})", line);
        }
    }

    [Fact]
    public async Task ZeroDrainTimeout_IsOneLine()
    {
        using var config = new TempConfig();
        ((JsonObject)config.Baton["Lifecycle"]!)["DrainTimeout"] = "00:00:00";
        config.Write();

        var result = await BatonCli.RunAsync(["check", "--config", config.Path]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("baton: config error: Baton:Lifecycle:DrainTimeout = '00:00:00': allowed a duration from 00:00:00.001", Assert.Single(result.StderrLines));
    }

    [Fact]
    public async Task EnvironmentOverride_BareNumber_IsSeconds()
    {
        using var config = new TempConfig();
        config.Write();

        var result = await BatonCli.RunAsync(["check", "--config", config.Path], new Dictionary<string, string> { ["BATON_Baton__Lifecycle__DrainTimeout"] = "10" });

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("00:00:10", (string?)JsonNode.Parse(result.Stdout)!["Lifecycle"]!["DrainTimeout"]);
    }

    [Fact]
    public async Task FileBareNumber_IsSeconds()
    {
        using var config = new TempConfig();
        ((JsonObject)config.Baton["Lifecycle"]!)["ShutdownGracePeriod"] = 5;
        config.Write();

        var result = await BatonCli.RunAsync(["check", "--config", config.Path]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("00:00:05", (string?)JsonNode.Parse(result.Stdout)!["Lifecycle"]!["ShutdownGracePeriod"]);
    }

    [Fact]
    public async Task EnvironmentOverride_BadValue_NamesTheVariable()
    {
        using var config = new TempConfig();
        config.Write();
        var environment = new Dictionary<string, string> { ["BATON_Baton__Lifecycle__DrainTimeout"] = "-5" };

        foreach (var result in await CheckAndRunAsync(config, environment))
        {
            Assert.True(result.ExitCode == 2, result.ToString());
            var line = Assert.Single(result.StderrLines);
            Assert.StartsWith("baton: config error: Baton:Lifecycle:DrainTimeout = '-5': allowed a duration", line);
            Assert.EndsWith("(from environment variable BATON_Baton__Lifecycle__DrainTimeout)", line);
        }
    }

    [Fact]
    public async Task EnvironmentOnlySection_WithAnUnknownKey_NamesTheVariables()
    {
        using var config = new TempConfig();
        config.Write();

        var result = await BatonCli.RunAsync(["check", "--config", config.Path], new Dictionary<string, string> { ["BATON_Baton__Lifecylce__DrainTimeout"] = "00:00:05" });

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.StderrLines);
        Assert.Contains("Baton:Lifecylce", line);
        Assert.EndsWith("(from environment variables BATON_Baton__Lifecylce__*)", line);
    }

    [Theory]
    [InlineData("@admin")]
    [InlineData("@control")]
    public async Task ListenerWithAReservedName_IsRefusedByCheckAndRun(string name)
    {
        using var config = new TempConfig();
        int port = FreePorts.Reserve();
        // Before the fix a listener named "@admin" on a public address served /prestop, /upgrade and /healthcheck/fail.
        config.Listeners[name] = new JsonObject { ["Address"] = $"0.0.0.0:{port}" };
        config.Write();

        foreach (var result in await CheckAndRunAsync(config))
        {
            Assert.True(result.ExitCode == 2, result.ToString());
            var line = Assert.Single(result.StderrLines);
            Assert.StartsWith($"baton: config error: Baton:Listeners:{name}: listener names starting with '@' are reserved", line);
            Assert.Contains("Baton:Admin", line);
        }

        Assert.False(await FreePorts.IsAcceptingAsync(port));
    }

    private static async Task<CliResult[]> CheckAndRunAsync(TempConfig config, IDictionary<string, string>? environment = null)
        => [
            await BatonCli.RunAsync(["check", "--config", config.Path], environment),
            await BatonCli.RunAsync(["run", "--config", config.Path, "--log-format", "json"], environment),
        ];
}
