using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Upstreams;

/// <summary><c>Baton:Upstreams</c>: every bad value is one line naming the key, exit 2, for <c>check</c> and <c>run</c> alike.</summary>
public class UpstreamConfigTests
{
    [Theory]
    [InlineData("MaxTries", "0", "Baton:Upstreams:Clusters:app:MaxTries = '0': allowed 1 to 10")]
    [InlineData("RetryOn", "ConnectFailure, Sometimes", "Baton:Upstreams:Clusters:app:RetryOn = 'Sometimes': allowed None, ConnectFailure")]
    [InlineData("RetryOn", "Status", "Baton:Upstreams:Clusters:app:RetryOn includes Status but RetryStatuses is empty")]
    [InlineData("ConnectTimeout", "00:10:00", "Baton:Upstreams:Clusters:app:ConnectTimeout = '00:10:00': allowed a duration from 00:00:00.001 to 00:05:00, as hh:mm:ss[.fff] or whole seconds")]
    [InlineData("TryTimeout", "1.5", "Baton:Upstreams:Clusters:app:TryTimeout = '1.5': allowed a duration from 00:00:00.001 to 01:00:00")]
    [InlineData("BudgetPercent", "120", "Baton:Upstreams:Clusters:app:BudgetPercent = '120': allowed a number from 0 to 100")]
    [InlineData("MaxTrys", "2", "Baton:Upstreams:Clusters:app:MaxTrys = '2': unknown key 'MaxTrys' (did you mean 'MaxTries'?)")]
    public async Task BadValue_CheckAndRunRefuseItWithOneLine(string key, string value, string expected)
    {
        using var config = new TempConfig();
        config.Baton["Upstreams"] = new JsonObject { ["Clusters"] = new JsonObject { ["app"] = new JsonObject { [key] = value } } };
        config.Write();

        foreach (var command in new[] { "check", "run" })
        {
            var result = await BatonCli.RunAsync([command, "--config", config.Path]);
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("baton: config error: " + expected, result.Stderr);
        }

        Assert.False(await FreePorts.IsAcceptingAsync(config.PublicPort));
    }

    [Fact]
    public async Task PolicyForAClusterThatDoesNotExist_IsRefused()
    {
        using var config = new TempConfig();
        config.Baton["Upstreams"] = new JsonObject { ["Clusters"] = new JsonObject { ["apq"] = new JsonObject { ["MaxTries"] = 2 } } };
        config.Write();

        var result = await BatonCli.RunAsync(["check", "--config", config.Path]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("baton: config error: Baton:Upstreams:Clusters:apq: no cluster 'apq' in ReverseProxy:Clusters; allowed: app", result.Stderr);
    }
}
