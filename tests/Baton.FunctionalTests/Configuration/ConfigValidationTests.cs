using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Configuration;

/// <summary>
/// Every bad key or value makes the real <c>baton run</c> exit 2 with one line naming the key, the
/// value and what is allowed, before anything is bound: the listener ports, reserved up front,
/// never accepted and no bind event was logged.
/// </summary>
public class ConfigValidationTests
{
    [Fact]
    public async Task UnknownListenerKey_Typo_NamesTheKeyAndTheAllowedOnes()
    {
        using var config = new TempConfig();
        config.Public.Remove("Address");
        config.Public["Adress"] = $"127.0.0.1:{config.PublicPort}";

        await RunRejectedAsync(config.Write(), "Baton:Listeners:public:Adress", "unknown key", "did you mean 'Address'?", "Address, Protocols");
    }

    [Fact]
    public async Task UnknownBatonSection_NamesTheKey()
    {
        using var config = new TempConfig();
        config.Baton["Lifecylce"] = new JsonObject { ["DrainTimeout"] = "00:00:05" };

        await RunRejectedAsync(config.Write(), "Baton:Lifecylce", "unknown key", "did you mean 'Lifecycle'?", "Listeners, Admin, Lifecycle");
    }

    [Fact]
    public async Task UnknownProtocol_NamesTheValueAndTheAllowedOnes()
    {
        using var config = new TempConfig();
        config.Public["Protocols"] = "Http1.1";

        await RunRejectedAsync(config.Write(), "Baton:Listeners:public:Protocols", "'Http1.1'", "Http1, Http2, Http1AndHttp2");
    }

    [Fact]
    public async Task PortOutOfRange_NamesTheAddressAndTheRange()
    {
        using var config = new TempConfig();
        config.Listeners["other"] = new JsonObject { ["Address"] = "127.0.0.1:70000" };

        await RunRejectedAsync(config.Write(), "Baton:Listeners:other:Address", "'127.0.0.1:70000'", "0 to 65535");
    }

    [Fact]
    public async Task MissingCertificateFile_NamesTheKeyAndTheFile()
    {
        using var config = new TempConfig();
        File.WriteAllText(Path.Combine(config.Work.FullName, "key.pem"), "not used");
        config.Public["Certificate"] = new JsonObject { ["Path"] = "missing-cert.pem", ["KeyPath"] = "key.pem" };

        await RunRejectedAsync(config.Write(), "Baton:Listeners:public:Certificate:Path", "'missing-cert.pem'", "file not found");
    }

    [Fact]
    public async Task CertificatePathWithANulCharacter_IsAConfigErrorNotACrash()
    {
        using var config = new TempConfig();
        config.Public["Certificate"] = new JsonObject { ["Path"] = "cert\0.pem", ["KeyPath"] = "key.pem" };

        await RunRejectedAsync(config.Write(), "Baton:Listeners:public:Certificate:Path", "NUL character");
    }

    [Fact]
    public async Task RouteToUnknownCluster_NamesTheRouteAndTheDefinedClusters()
    {
        using var config = new TempConfig();
        config.Config["ReverseProxy"]!["Routes"]!["all"]!["ClusterId"] = "nope";

        await RunRejectedAsync(config.Write(), "ReverseProxy:Routes:all:ClusterId", "'nope'", "defined: app");
    }

    [Fact]
    public async Task MalformedJson_NamesTheFileAndTheLine()
    {
        using var config = new TempConfig();
        // Line 4 lacks its comma; the parser trips on line 5.
        config.Write($$"""
            {
              "Baton": {
                "Listeners": {
                  "public": { "Address": "127.0.0.1:{{config.PublicPort}}" }
                  "other": { "Address": "127.0.0.1:0" }
                },
                "Admin": { "Address": "127.0.0.1:{{config.AdminPort}}" }
              }
            }
            """);

        await RunRejectedAsync(config, "baton.json:5:", "malformed JSON");
    }

    [Fact]
    public async Task AdminOnAPublicAddress_IsRefused()
    {
        using var config = new TempConfig();
        config.Baton["Admin"]!["Address"] = $"0.0.0.0:{config.AdminPort}";

        await RunRejectedAsync(config.Write(), "Baton:Admin:Address", $"'0.0.0.0:{config.AdminPort}'", "loopback");
    }

    [Fact]
    public async Task NoListeners_IsRefused()
    {
        using var config = new TempConfig();
        config.Baton["Listeners"] = new JsonObject();

        await RunRejectedAsync(config.Write(), "Baton:Listeners", "no listener is configured");
    }

    [Fact]
    public async Task RouteWithoutMatch_IsRefusedByYarpBeforeAnythingIsBound()
    {
        using var config = new TempConfig();
        config.Config["ReverseProxy"]!["Routes"]!["all"]!.AsObject().Remove("Match");

        await RunRejectedAsync(config.Write(), "all");
    }

    [Fact]
    public async Task EnvironmentOverride_WithABadValue_NamesTheKey()
    {
        using var config = new TempConfig();

        await RunRejectedAsync(
            config.Write(),
            new Dictionary<string, string> { ["BATON_Baton__Lifecycle__DrainTimeout"] = "garbage" },
            "Baton:Lifecycle:DrainTimeout", "'garbage'", "00:00:30");
    }

    [Theory]
    [InlineData("Backlog", "0", "Baton:Listeners:other:Backlog = '0'", "allowed 1 to 65,535 (default 4,096)")]
    [InlineData("HealthEndpoints", "yes", "Baton:Listeners:other:HealthEndpoints = 'yes'", "true or false")]
    [InlineData("Address", "example.com:8080", "Baton:Listeners:other:Address = 'example.com:8080'", "not an IP address")]
    [InlineData("Address", "unix:", "Baton:Listeners:other:Address = 'unix:'", "1 to 107 bytes")]
    public async Task BadListenerValue_NamesTheKeyTheValueAndTheAllowedOnes(string key, string value, string names, string allowed)
    {
        using var config = new TempConfig();
        // A second listener carries the bad value; the valid one on the reserved port must stay unbound.
        config.Listeners["other"] = new JsonObject { ["Address"] = "127.0.0.1:0", [key] = value };

        await RunRejectedAsync(config.Write(), names, allowed);
    }

    [Theory]
    [InlineData("DrainTimeout", "-00:00:01", "Baton:Lifecycle:DrainTimeout = '-00:00:01'", "allowed a duration from 00:00:00.001 to 1.00:00:00")]
    [InlineData("ShutdownGracePeriod", "soon", "Baton:Lifecycle:ShutdownGracePeriod = 'soon'", "hh:mm:ss[.fff] or whole seconds")]
    [InlineData("MaxDrainingGenerations", "0", "Baton:Lifecycle:MaxDrainingGenerations = '0'", "allowed 1 to 100")]
    [InlineData("drain_timeout_ms", "-5", "Baton:Lifecycle:drain_timeout_ms = '-5'", "allowed a whole number of milliseconds from 00:00:00.001")]
    public async Task BadLifecycleValue_NamesTheKeyTheValueAndTheAllowedOnes(string key, string value, string names, string allowed)
    {
        using var config = new TempConfig();
        var lifecycle = (JsonObject)config.Baton["Lifecycle"]!;
        lifecycle.Remove("DrainTimeout");
        lifecycle[key] = value;

        await RunRejectedAsync(config.Write(), names, allowed);
    }

    [Theory]
    [InlineData("Memory", "IdleTrimAfter", "-00:00:01", "Baton:Memory:IdleTrimAfter = '-00:00:01'", "allowed a duration from 00:00:00 to 1.00:00:00")]
    [InlineData("Memory", "IdleTrimAfter", "later", "Baton:Memory:IdleTrimAfter = 'later'", "hh:mm:ss[.fff] or whole seconds")]
    [InlineData("Memory", "IdleTrim", "00:00:05", "Baton:Memory:IdleTrim", "IdleTrimAfter")]
    [InlineData("Runtime", "InlineSocketCompletions", "sometimes", "Baton:Runtime:InlineSocketCompletions = 'sometimes'", "allowed true or false")]
    [InlineData("Runtime", "InlineCompletions", "true", "Baton:Runtime:InlineCompletions", "InlineSocketCompletions")]
    public async Task BadMemoryOrRuntimeValue_NamesTheKeyTheValueAndTheAllowedOnes(string section, string key, string value, string names, string allowed)
    {
        using var config = new TempConfig();
        config.Baton[section] = new JsonObject { [key] = value };

        await RunRejectedAsync(config.Write(), names, allowed);
    }

    [Fact]
    public async Task TwoListenersOnOneAddress_AreRefused()
    {
        using var config = new TempConfig();
        config.Listeners["again"] = new JsonObject { ["Address"] = $"127.0.0.1:{config.PublicPort}" };

        await RunRejectedAsync(config.Write(), "Baton:Listeners", "again", "public", $"both use address 127.0.0.1:{config.PublicPort}");
    }

    [Fact]
    public async Task DestinationThatIsNotAUrl_NamesTheDestination()
    {
        using var config = new TempConfig();
        config.Config["ReverseProxy"]!["Clusters"]!["app"]!["Destinations"]!["a"]!["Address"] = "127.0.0.1:5000";

        await RunRejectedAsync(config.Write(), "ReverseProxy:Clusters:app:Destinations:a:Address = '127.0.0.1:5000'", "http://");
    }

    [Fact]
    public async Task CertificateFileThatIsNotPem_NamesTheListener()
    {
        using var config = new TempConfig();
        File.WriteAllText(Path.Combine(config.Work.FullName, "cert.pem"), "not a certificate");
        File.WriteAllText(Path.Combine(config.Work.FullName, "key.pem"), "not a key");
        config.Public["Certificate"] = new JsonObject { ["Path"] = "cert.pem", ["KeyPath"] = "key.pem" };

        await RunRejectedAsync(config.Write(), "Baton:Listeners:public:Certificate", "cert.pem");
    }

    [Fact]
    public async Task MissingConfigFile_IsAUsageError()
    {
        using var config = new TempConfig();

        var result = await BatonCli.RunAsync(["run", "--config", config.Path, "--log-format", "json"]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("does not exist", result.Stderr);
    }

    private static Task RunRejectedAsync(TempConfig config, params string[] oneLineNames)
        => RunRejectedAsync(config, null, oneLineNames);

    /// <summary>
    /// Runs <c>baton run</c> on the file and checks: exit 2; every stderr line is a config error;
    /// one line holds all of <paramref name="oneLineNames"/>; nothing bound or started.
    /// </summary>
    private static async Task RunRejectedAsync(TempConfig config, IDictionary<string, string>? environment, params string[] oneLineNames)
    {
        var result = await BatonCli.RunAsync(["run", "--config", config.Path, "--log-format", "json"], environment);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.NotEmpty(result.StderrLines);
        Assert.All(result.StderrLines, line => Assert.StartsWith("baton: config error: ", line));
        Assert.True(
            result.StderrLines.Any(line => oneLineNames.All(n => line.Contains(n, StringComparison.Ordinal))),
            $"no single line names all of [{string.Join(" | ", oneLineNames)}]\n{result}");

        Assert.DoesNotContain(BatonEventIds.ListenerBound, result.EventIds);
        Assert.DoesNotContain(BatonEventIds.ProxyListening, result.EventIds);
        Assert.DoesNotContain(BatonEventIds.Started, result.EventIds);
        Assert.False(await FreePorts.IsAcceptingAsync(config.PublicPort), $"something accepts on the public port {config.PublicPort}");
        Assert.False(await FreePorts.IsAcceptingAsync(config.AdminPort), $"something accepts on the admin port {config.AdminPort}");
    }
}
