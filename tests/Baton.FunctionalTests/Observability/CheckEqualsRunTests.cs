using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Observability;

/// <summary>
/// <c>baton check</c> validates everything <c>baton run</c> validates, through the same code:
/// every bad config here makes both exit 2 with exactly the same error lines, and <c>run</c> binds nothing.
/// </summary>
public sealed class CheckEqualsRunTests
{
    public static TheoryData<string> Cases => new(s_cases.Keys);

    private static readonly Dictionary<string, (Action<TempConfig> Break, string[] Names)> s_cases = new()
    {
        ["LoadBalancingPolicyBogus"] = (c => Cluster(c)["LoadBalancingPolicy"] = "Bogus", ["Bogus", "'app'"]),
        ["UnknownRateLimiterPolicy"] = (c => Route(c)["RateLimiterPolicy"] = "nope", ["ReverseProxy:Routes:all:RateLimiterPolicy = 'nope'", "no such policy"]),
        ["UnknownCorsPolicy"] = (c => Route(c)["CorsPolicy"] = "web", ["ReverseProxy:Routes:all:CorsPolicy = 'web'", "Baton:CorsPolicies"]),
        ["UnknownTimeoutPolicy"] = (c => Route(c)["TimeoutPolicy"] = "slow", ["ReverseProxy:Routes:all:TimeoutPolicy = 'slow'", "Baton:TimeoutPolicies"]),
        ["TimeoutAndTimeoutPolicy"] = (c =>
        {
            c.Baton["TimeoutPolicies"] = new JsonObject { ["t"] = new JsonObject { ["Timeout"] = "00:00:02" } };
            Route(c)["Timeout"] = "00:00:01";
            Route(c)["TimeoutPolicy"] = "t";
        }, ["'all'", "Timeout", "TimeoutPolicy"]),
        ["ActivityTimeoutNotADuration"] = (c => Cluster(c)["HttpRequest"] = new JsonObject { ["ActivityTimeout"] = "soon" }, ["ReverseProxy:Clusters:app:HttpRequest:ActivityTimeout = 'soon'", "positive duration"]),
        ["ActivityTimeoutNegative"] = (c => Cluster(c)["HttpRequest"] = new JsonObject { ["ActivityTimeout"] = "-00:00:01" }, ["ActivityTimeout = '-00:00:01'", "positive duration"]),
        ["RouteTimeoutZero"] = (c => Route(c)["Timeout"] = "00:00:00", ["ReverseProxy:Routes:all:Timeout = '00:00:00'", "positive duration"]),
        ["UnloadablePem"] = (c =>
        {
            File.WriteAllText(Path.Combine(c.Work.FullName, "cert.pem"), "not a certificate");
            File.WriteAllText(Path.Combine(c.Work.FullName, "key.pem"), "not a key");
            c.Public["Certificate"] = new JsonObject { ["Path"] = "cert.pem", ["KeyPath"] = "key.pem" };
        }, ["Baton:Listeners:public:Certificate", "cert.pem"]),
        ["TopLevelTypo"] = (c => c.Config["ReverseProxyy"] = new JsonObject(), ["ReverseProxyy", "unknown key", "did you mean 'ReverseProxy'?"]),
        ["RouteMatchTypo"] = (c => Route(c)["Matchh"] = new JsonObject { ["Path"] = "/x" }, ["ReverseProxy:Routes:all:Matchh", "did you mean 'Match'?"]),
        ["MatchPathTypo"] = (c => ((JsonObject)Route(c)["Match"]!)["Pth"] = "/x", ["ReverseProxy:Routes:all:Match:Pth", "did you mean 'Path'?"]),
        ["ClusterTypo"] = (c => Cluster(c)["LoadBalancingPolicyy"] = "RoundRobin", ["ReverseProxy:Clusters:app:LoadBalancingPolicyy", "did you mean 'LoadBalancingPolicy'?"]),
        ["DestinationTypo"] = (c => ((JsonObject)Cluster(c)["Destinations"]!["a"]!)["Adress"] = "http://127.0.0.1:1/", ["ReverseProxy:Clusters:app:Destinations:a:Adress", "did you mean 'Address'?"]),
        ["BatonTypo"] = (c => c.Baton["AccesLog"] = new JsonObject(), ["Baton:AccesLog", "did you mean 'AccessLog'?"]),
        ["AuthorizationPolicyNotWired"] = (c => Route(c)["AuthorizationPolicy"] = "admins", ["ReverseProxy:Routes:all:AuthorizationPolicy = 'admins'", "does not wire"]),
        ["OutputCachePolicyNotWired"] = (c => Route(c)["OutputCachePolicy"] = "short", ["ReverseProxy:Routes:all:OutputCachePolicy = 'short'", "does not wire"]),
        ["RateLimiterKindUnknown"] = (c => c.Baton["RateLimiterPolicies"] = new JsonObject { ["p"] = new JsonObject { ["Kind"] = "Leaky", ["PermitLimit"] = 1 } }, ["Baton:RateLimiterPolicies:p:Kind = 'Leaky'", "TokenBucket"]),
        ["RateLimiterWindowMissing"] = (c => c.Baton["RateLimiterPolicies"] = new JsonObject { ["p"] = new JsonObject { ["Kind"] = "FixedWindow", ["PermitLimit"] = 1 } }, ["Baton:RateLimiterPolicies:p:Window is missing"]),
        ["PidFileDirectoryMissing"] = (c => ((JsonObject)c.Baton["Lifecycle"]!)["PidFile"] = Path.Combine(c.Work.FullName, "missing", "baton.pid"), ["Baton:Lifecycle:PidFile", "missing", "does not exist"]),
        ["AccessLogFormatUnknown"] = (c => c.Baton["AccessLog"] = new JsonObject { ["Format"] = "xml" }, ["Baton:AccessLog:Format = 'xml'", "json or text"]),
        ["RouteToUnknownCluster"] = (c => Route(c)["ClusterId"] = "nope", ["ReverseProxy:Routes:all:ClusterId = 'nope'", "defined: app"]),
        ["RouteWithoutMatch"] = (c => Route(c).Remove("Match"), ["ReverseProxy:", "all"]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadConfig_IsRejectedByCheckAndRun_WithTheSameLines(string name)
    {
        using var config = new TempConfig();
        var (breakIt, names) = s_cases[name];
        breakIt(config);
        config.Write();

        var check = await BatonCli.RunAsync(["check", "--config", config.Path]);
        var run = await BatonCli.RunAsync(["run", "--config", config.Path, "--log-format", "json"]);

        Assert.True(check.ExitCode == 2, $"check: {check}");
        Assert.True(run.ExitCode == 2, $"run: {run}");
        Assert.All(check.StderrLines, l => Assert.StartsWith("baton: config error: ", l));
        Assert.Equal(check.StderrLines, run.StderrLines);
        Assert.True(check.StderrLines.Any(l => names.All(n => l.Contains(n, StringComparison.Ordinal))), $"no single line names all of [{string.Join(" | ", names)}]\n{check}");
        Assert.Equal("", check.Stdout.Trim());
        Assert.DoesNotContain(BatonEventIds.ListenerBound, run.EventIds);
        Assert.False(await FreePorts.IsAcceptingAsync(config.PublicPort));
    }

    [Fact]
    public async Task NoRoute_IsAWarning_InCheckAndInRun()
    {
        using var config = new TempConfig();
        config.Config["ReverseProxy"]!["Routes"] = new JsonObject();
        config.Write();

        var check = await BatonCli.RunAsync(["check", "--config", config.Path]);

        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("baton: warning: ReverseProxy:Routes: no route is configured", check.Stderr);
        var run = Testing.BatonProcess.Start(["run", "--config", config.Path, "--log-format", "json"]);
        await using (run)
        {
            var warning = await run.WaitForEventAsync(BatonEventIds.ConfigWarning, BatonTestHost.Timeout);
            Assert.Contains("no route is configured", warning.Message);
            await run.WaitForEventAsync(BatonEventIds.Started, BatonTestHost.Timeout);
        }
    }

    [Fact]
    public async Task LoggingSectionAndEveryDocumentedSection_AreAccepted()
    {
        using var config = new TempConfig();
        config.Config["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Information" } };
        config.Baton["AccessLog"] = new JsonObject { ["Enabled"] = true, ["Format"] = "text", ["BufferLines"] = 1024 };
        config.Baton["Telemetry"] = new JsonObject { ["OtlpEndpoint"] = "http://127.0.0.1:4318", ["Traces"] = true };
        config.Baton["RateLimiterPolicies"] = new JsonObject { ["p"] = new JsonObject { ["Kind"] = "TokenBucket", ["TokenLimit"] = 10, ["TokensPerPeriod"] = 5, ["ReplenishmentPeriod"] = "00:00:01" } };
        config.Baton["CorsPolicies"] = new JsonObject { ["web"] = new JsonObject { ["Origins"] = new JsonArray("https://app.example") } };
        config.Baton["TimeoutPolicies"] = new JsonObject { ["t"] = new JsonObject { ["Timeout"] = "00:00:05" } };
        Route(config)["RateLimiterPolicy"] = "p";
        Route(config)["CorsPolicy"] = "web";
        Route(config)["TimeoutPolicy"] = "t";
        Route(config)["Metadata"] = new JsonObject { ["anything"] = "goes" };
        Cluster(config)["HealthCheck"] = new JsonObject { ["Passive"] = new JsonObject { ["Enabled"] = true, ["Policy"] = "TransportFailureRate", ["ReactivationPeriod"] = "00:00:10" } };
        config.Write();

        var check = await BatonCli.RunAsync(["check", "--config", config.Path]);

        Assert.True(check.ExitCode == 0, check.ToString());
    }

    private static JsonObject Route(TempConfig c) => (JsonObject)c.Config["ReverseProxy"]!["Routes"]!["all"]!;

    private static JsonObject Cluster(TempConfig c) => (JsonObject)c.Config["ReverseProxy"]!["Clusters"]!["app"]!;
}
