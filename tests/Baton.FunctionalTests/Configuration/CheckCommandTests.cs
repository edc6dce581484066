using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Configuration;

/// <summary><c>baton check</c>: validate a file, print the effective configuration, bind nothing.</summary>
public class CheckCommandTests
{
    [Fact]
    public async Task ValidFile_ExitsZeroAndPrintsTheEffectiveConfig()
    {
        using var config = new TempConfig();
        config.Listeners["h2c"] = new JsonObject { ["Address"] = "127.0.0.1:0", ["Protocols"] = "Http2" };
        config.Write();

        var result = await BatonCli.RunAsync(["check", "--config", config.Path]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var effective = JsonNode.Parse(result.Stdout)!;
        Assert.Equal($"127.0.0.1:{config.PublicPort}", (string?)effective["Listeners"]!["public"]!["Address"]);
        Assert.Equal("Http1AndHttp2", (string?)effective["Listeners"]!["public"]!["Protocols"]);
        Assert.Equal("Http2", (string?)effective["Listeners"]!["h2c"]!["Protocols"]);
        Assert.Equal($"127.0.0.1:{config.AdminPort}", (string?)effective["Admin"]!["Address"]);
        Assert.Equal(["all -> app"], effective["ReverseProxy"]!["Routes"]!.AsArray().Select(r => (string?)r));
        Assert.Contains("configuration is valid", result.Stderr);
        Assert.False(await FreePorts.IsAcceptingAsync(config.PublicPort));
    }

    [Fact]
    public async Task EffectiveConfig_PrintsEveryBatonSection_WithWhatWasSetAndTheDefaults()
    {
        using var config = new TempConfig();
        config.Baton["Memory"] = new JsonObject { ["IdleTrimAfter"] = "00:00:09" };
        config.Baton["Runtime"] = new JsonObject { ["InlineSocketCompletions"] = "false" };
        config.Baton["AccessLog"] = new JsonObject { ["Format"] = "text" };
        config.Baton["Upstreams"] = new JsonObject { ["Clusters"] = new JsonObject { ["app"] = new JsonObject { ["MaxTries"] = 2 } } };
        config.Write();

        var result = await BatonCli.RunAsync(["check", "--config", config.Path]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var effective = JsonNode.Parse(result.Stdout)!;
        Assert.Equal("00:00:09", (string?)effective["Memory"]!["IdleTrimAfter"]);
        Assert.False((bool)effective["Runtime"]!["InlineSocketCompletions"]!);
        Assert.Equal("Text", (string?)effective["AccessLog"]!["Format"]);
        Assert.Equal(8192, (int)effective["AccessLog"]!["BufferLines"]!);
        Assert.Equal("baton", (string?)effective["Telemetry"]!["ServiceName"]);
        Assert.Equal(2, (int)effective["Upstreams"]!["Clusters"]!["app"]!["MaxTries"]!);
        Assert.Equal(3, (int)effective["Upstreams"]!["Defaults"]!["MaxTries"]!);
        Assert.NotNull(effective["Policies"]!["RateLimiters"]);
    }

    [Fact]
    public async Task InvalidFile_ExitsTwoAndNamesTheKey()
    {
        using var config = new TempConfig();
        config.Public["Protocols"] = "Http9";
        config.Write();

        var result = await BatonCli.RunAsync(["check", "--config", config.Path]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("baton: config error: Baton:Listeners:public:Protocols = 'Http9'", result.Stderr);
        Assert.Equal("", result.Stdout.Trim());
    }

    [Fact]
    public async Task EnvironmentOverride_AppliesOverTheFile()
    {
        using var config = new TempConfig();
        config.Write();
        int overridden = FreePorts.Reserve();

        var result = await BatonCli.RunAsync(
            ["check", "--config", config.Path],
            new Dictionary<string, string>
            {
                ["BATON_Baton__Listeners__public__Address"] = $"127.0.0.1:{overridden}",
                ["BATON_Baton__Lifecycle__DrainTimeout"] = "00:01:15",
            });

        Assert.True(result.ExitCode == 0, result.ToString());
        var effective = JsonNode.Parse(result.Stdout)!;
        Assert.Equal($"127.0.0.1:{overridden}", (string?)effective["Listeners"]!["public"]!["Address"]);
        Assert.Equal("00:01:15", (string?)effective["Lifecycle"]!["DrainTimeout"]);
    }
}
