using System.Text.Json;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Baton.FunctionalTests.Tls;

namespace Baton.FunctionalTests.Limits;

/// <summary>Every limit is validated: a bad value is one line naming the key, the value, the allowed range and the default, from both <c>check</c> and <c>run</c>; exit 2, nothing bound.</summary>
public class LimitsConfigTests
{
    [Theory]
    [InlineData("MaxRequestHeaderCount", "0", "Baton:Limits:MaxRequestHeaderCount = '0'", "allowed 1 to 10,000 headers (default 100)")]
    [InlineData("MaxRequestHeadersTotalSize", "lots", "Baton:Limits:MaxRequestHeadersTotalSize = 'lots'", "allowed 1,024 to 1,048,576 bytes (default 32,768)")]
    [InlineData("MaxRequestLineSize", "100", "Baton:Limits:MaxRequestLineSize = '100'", "allowed 256 to 1,048,576 bytes (default 8,192)")]
    [InlineData("MaxRequestBodySize", "-1", "Baton:Limits:MaxRequestBodySize = '-1'", "or \"unlimited\" (default 30,000,000)")]
    [InlineData("RequestHeadersTimeout", "00:00:00", "Baton:Limits:RequestHeadersTimeout = '00:00:00'", "from 00:00:01 to 01:00:00 (default 00:00:30)")]
    [InlineData("KeepAliveTimeout", "2.00:00:00", "Baton:Limits:KeepAliveTimeout = '2.00:00:00'", "to 1.00:00:00 (default 00:02:10)")]
    [InlineData("MinRequestBodyDataRate:GracePeriod", "00:00:01", "Baton:Limits:MinRequestBodyDataRate:GracePeriod = '00:00:01'", "above 00:00:01 up to 01:00:00 (default 00:00:05)")]
    [InlineData("MinResponseDataRate:BytesPerSecond", "fast", "Baton:Limits:MinResponseDataRate:BytesPerSecond = 'fast'", "0 (off) to 1,000,000,000")]
    [InlineData("Http2:MaxStreamsPerConnection", "0", "Baton:Limits:Http2:MaxStreamsPerConnection = '0'", "allowed 1 to 10,000 streams (default 100)")]
    [InlineData("Http2:InitialStreamWindowSize", "1000", "Baton:Limits:Http2:InitialStreamWindowSize = '1000'", "allowed 65,535 to 2,147,483,647 bytes (default 786,432)")]
    [InlineData("KeepAliveTimout", "00:01:00", "Baton:Limits:KeepAliveTimout", "did you mean 'KeepAliveTimeout'?")]
    public async Task BadLimit_IsRefusedByCheckAndRun(string key, string value, string names, string allowed)
    {
        using var config = new TempConfig();
        var limits = new JsonObject();
        config.Baton["Limits"] = limits;
        var parts = key.Split(':');
        var section = limits;
        foreach (var part in parts[..^1])
        {
            section = (JsonObject)(section[part] = new JsonObject());
        }

        section[parts[^1]] = value;

        await TlsConfigTests.RejectedByCheckAndRunAsync(config.Write(), names, allowed);
    }

    [Fact]
    public async Task BadMaxConnections_IsRefusedByCheckAndRun()
    {
        using var config = new TempConfig();
        config.Public["MaxConnections"] = 0;

        await TlsConfigTests.RejectedByCheckAndRunAsync(config.Write(), "Baton:Listeners:public:MaxConnections = '0'", "allowed 1 to 1,000,000 connections (default: no limit)");
    }

    [Fact]
    public async Task GoodLimits_PassCheck()
    {
        using var config = new TempConfig();
        config.Baton["Limits"] = new JsonObject
        {
            ["MaxRequestBodySize"] = "unlimited",
            ["MinRequestBodyDataRate"] = new JsonObject { ["BytesPerSecond"] = 0 },
            ["MinResponseDataRate"] = new JsonObject { ["BytesPerSecond"] = 100, ["GracePeriod"] = "00:00:10" },
            ["Http2"] = new JsonObject { ["InitialConnectionWindowSize"] = 2097152 },
        };
        config.Public["MaxConnections"] = 10000;

        var check = await BatonCli.RunAsync(["check", "--config", config.Write().Path]);
        Assert.True(check.ExitCode == 0, check.ToString());

        // The effective limits: what was set, and Kestrel's defaults (as docs/limits.md states them) for the rest.
        using var effective = JsonDocument.Parse(check.Stdout);
        var limits = effective.RootElement.GetProperty("Limits");
        Assert.Equal(JsonValueKind.Null, limits.GetProperty("MaxRequestBodySize").ValueKind);
        Assert.Equal(JsonValueKind.Null, limits.GetProperty("MinRequestBodyDataRate").ValueKind);
        Assert.Equal(100, limits.GetProperty("MinResponseDataRate").GetProperty("BytesPerSecond").GetDouble());
        Assert.Equal(2097152, limits.GetProperty("Http2InitialConnectionWindowSize").GetInt32());
        Assert.Equal(32768, limits.GetProperty("MaxRequestHeadersTotalSize").GetInt32());
        Assert.Equal(100, limits.GetProperty("MaxRequestHeaderCount").GetInt32());
        Assert.Equal(8192, limits.GetProperty("MaxRequestLineSize").GetInt32());
        Assert.Equal("00:00:30", limits.GetProperty("RequestHeadersTimeout").GetString());
        Assert.Equal("00:02:10", limits.GetProperty("KeepAliveTimeout").GetString());
        Assert.Equal(100, limits.GetProperty("Http2MaxStreamsPerConnection").GetInt32());
        Assert.Equal(32768, limits.GetProperty("Http2MaxRequestHeaderFieldSize").GetInt32());
        Assert.Equal(786432, limits.GetProperty("Http2InitialStreamWindowSize").GetInt32());
        Assert.Equal(10000, effective.RootElement.GetProperty("Listeners").GetProperty("public").GetProperty("MaxConnections").GetInt32());
    }

    [Fact]
    public async Task NoLimitsSection_CheckShowsKestrelsDefaults()
    {
        using var config = new TempConfig();

        var check = await BatonCli.RunAsync(["check", "--config", config.Write().Path]);
        Assert.True(check.ExitCode == 0, check.ToString());
        using var effective = JsonDocument.Parse(check.Stdout);
        var limits = effective.RootElement.GetProperty("Limits");
        Assert.Equal(30_000_000, limits.GetProperty("MaxRequestBodySize").GetInt64());
        Assert.Equal(240, limits.GetProperty("MinRequestBodyDataRate").GetProperty("BytesPerSecond").GetDouble());
        Assert.Equal("00:00:05", limits.GetProperty("MinRequestBodyDataRate").GetProperty("GracePeriod").GetString());
        Assert.Equal(1048576, limits.GetProperty("Http2InitialConnectionWindowSize").GetInt32());
        Assert.Equal(JsonValueKind.Null, effective.RootElement.GetProperty("Listeners").GetProperty("public").GetProperty("MaxConnections").ValueKind);
    }
}
