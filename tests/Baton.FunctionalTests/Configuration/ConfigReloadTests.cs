using System.Net;
using System.Text.Json.Nodes;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Configuration;

/// <summary>
/// Live reload of the running proxy: an edited file applies routes and clusters without a restart,
/// SIGHUP forces a reload, a broken edit is rejected while the old routes keep serving, and a
/// listener change is logged as needing an upgrade.
/// </summary>
public class ConfigReloadTests
{
    private const string FileChange = "file change";

    [Fact]
    public async Task EditingTheFile_AddsARouteWithoutARestart()
    {
        await using var host = await StartWithUpstreamBOutsideTheConfigAsync();
        using var client = Clients.Http1();
        await AssertServedByAsync(client, host, "b/whoami", HttpStatusCode.NotFound, "upstream-a");

        AddRouteB(host);
        host.WriteConfig();
        await host.Baton.WaitForEventAsync(BatonEventIds.ConfigReloaded, BatonTestHost.Timeout, e => e.Get("Source") == FileChange);

        await AssertServedByAsync(client, host, "b/whoami", HttpStatusCode.OK, "upstream-b");
        await AssertServedByAsync(client, host, "whoami", HttpStatusCode.OK, "upstream-a");
        Assert.Equal(1, host.Baton.Events.Count(e => e.EventId == BatonEventIds.Started));
    }

    [Fact]
    public async Task Sighup_ReloadsAnEditTheFileWatcherCannotSeeAtOnce()
    {
        // baton.json is a symlink into a subdirectory: an edit of the target raises no inotify
        // event for baton.json in its directory (as when a deploy tool swaps the target); only the
        // 4 s poll would see it, and SIGHUP applies it at once.
        await using var host = await StartWithSymlinkedConfigAsync();
        using var client = Clients.Http1();

        AddRouteB(host);
        host.WriteConfig();
        await AssertServedByAsync(client, host, "b/whoami", HttpStatusCode.NotFound, "upstream-a");

        Assert.True(host.Baton.Signal(Signals.SIGHUP));
        await host.Baton.WaitForEventAsync(BatonEventIds.ConfigReloaded, BatonTestHost.Timeout, e => e.Get("Source") == "SIGHUP");

        await AssertServedByAsync(client, host, "b/whoami", HttpStatusCode.OK, "upstream-b");
        Assert.False(host.Baton.Exited.IsCompleted);
    }

    [Fact]
    public async Task SymlinkTargetEdit_IsAppliedByThePollingWatcher_WithoutASignal()
    {
        // How Kubernetes updates a mounted ConfigMap: the file is a symlink whose target changes.
        await using var host = await StartWithSymlinkedConfigAsync();
        using var client = Clients.Http1();

        AddRouteB(host);
        host.WriteConfig();
        await host.Baton.WaitForEventAsync(BatonEventIds.ConfigReloaded, BatonTestHost.Timeout, e => e.Get("Source") == "file change");
        await AssertServedByAsync(client, host, "b/whoami", HttpStatusCode.OK, "upstream-b");
        Assert.DoesNotContain(host.Baton.Events, e => e.EventId == BatonEventIds.SignalReceived);
    }

    [Fact]
    public async Task Sighup_ReloadsTheFile()
    {
        await using var host = await StartWithUpstreamBOutsideTheConfigAsync();
        using var client = Clients.Http1();

        AddRouteB(host);
        host.WriteConfig();
        Assert.True(host.Baton.Signal(Signals.SIGHUP));

        // The file watcher may reload the same edit too; the SIGHUP reload is the one awaited.
        var reloaded = await host.Baton.WaitForEventAsync(BatonEventIds.ConfigReloaded, BatonTestHost.Timeout, e => e.Get("Source") == "SIGHUP");
        Assert.Contains(host.Baton.Events, e => e.EventId == BatonEventIds.SignalReceived && e.Get("Signal") == "SIGHUP");
        await AssertServedByAsync(client, host, "b/whoami", HttpStatusCode.OK, "upstream-b");
        Assert.False(host.Baton.Exited.IsCompleted, $"SIGHUP stopped Baton after {reloaded.Message}");
    }

    [Fact]
    public async Task BrokenEdit_IsRejected_AndTheOldRoutesKeepServing()
    {
        await using var host = await StartWithUpstreamBOutsideTheConfigAsync();
        using var client = Clients.Http1();

        var good = File.ReadAllText(host.ConfigPath);
        File.WriteAllText(host.ConfigPath, good[..(good.Length / 2)]);
        var rejected = await host.Baton.WaitForEventAsync(BatonEventIds.ConfigReloadRejected, BatonTestHost.Timeout);

        Assert.Contains("malformed JSON", rejected.Get("Error"));
        Assert.Equal(FileChange, rejected.Get("Source"));
        await AssertServedByAsync(client, host, "whoami", HttpStatusCode.OK, "upstream-a");
        Assert.DoesNotContain(host.Baton.Events, e => e.EventId == BatonEventIds.ConfigReloaded);

        // A later good edit still applies.
        AddRouteB(host);
        host.WriteConfig();
        await host.Baton.WaitForEventAsync(BatonEventIds.ConfigReloaded, BatonTestHost.Timeout);
        await AssertServedByAsync(client, host, "b/whoami", HttpStatusCode.OK, "upstream-b");
    }

    [Fact]
    public async Task EditNamingAnUnknownCluster_IsRejected_AndTheOldRoutesKeepServing()
    {
        await using var host = await StartWithUpstreamBOutsideTheConfigAsync();
        using var client = Clients.Http1();

        host.Config["ReverseProxy"]!["Routes"]!["all"]!["ClusterId"] = "missing";
        host.WriteConfig();
        // An editor's write can be seen half-done (and rejected as malformed) before it is whole.
        await host.Baton.WaitForEventAsync(
            BatonEventIds.ConfigReloadRejected,
            BatonTestHost.Timeout,
            e => e.Get("Error")?.Contains("ReverseProxy:Routes:all:ClusterId = 'missing'", StringComparison.Ordinal) == true);

        await AssertServedByAsync(client, host, "whoami", HttpStatusCode.OK, "upstream-a");
    }

    [Fact]
    public async Task EditYarpRefuses_IsRejected_AndTheOldRoutesKeepServing()
    {
        await using var host = await StartWithUpstreamBOutsideTheConfigAsync();
        using var client = Clients.Http1();

        // Baton's own checks pass (the cluster exists); YARP refuses a route that matches nothing.
        AddRouteB(host);
        host.Config["ReverseProxy"]!["Routes"]!["b"]!.AsObject().Remove("Match");
        host.WriteConfig();
        var rejected = await host.Baton.WaitForEventAsync(
            BatonEventIds.ConfigReloadRejected,
            BatonTestHost.Timeout,
            e => e.Get("Error")?.Contains("Route 'b'", StringComparison.Ordinal) == true);

        Assert.StartsWith("ReverseProxy:", rejected.Get("Error"));
        Assert.DoesNotContain(host.Baton.Events, e => e.EventId == BatonEventIds.ConfigReloaded);
        await AssertServedByAsync(client, host, "whoami", HttpStatusCode.OK, "upstream-a");
        await AssertServedByAsync(client, host, "b/whoami", HttpStatusCode.NotFound, "upstream-a");
    }

    [Fact]
    public async Task DeletedFile_IsRejected_AndTheOldRoutesKeepServing()
    {
        await using var host = await StartWithUpstreamBOutsideTheConfigAsync();
        using var client = Clients.Http1();

        File.Delete(host.ConfigPath);
        await host.Baton.WaitForEventAsync(
            BatonEventIds.ConfigReloadRejected,
            BatonTestHost.Timeout,
            e => e.Get("Error")?.Contains("does not exist", StringComparison.Ordinal) == true);
        await AssertServedByAsync(client, host, "whoami", HttpStatusCode.OK, "upstream-a");

        AddRouteB(host);
        host.WriteConfig();
        await host.Baton.WaitForEventAsync(BatonEventIds.ConfigReloaded, BatonTestHost.Timeout);
        await AssertServedByAsync(client, host, "b/whoami", HttpStatusCode.OK, "upstream-b");
    }

    [Fact]
    public async Task EditTheValidatorCannotParse_IsRejected_AndBatonKeepsRunning()
    {
        await using var host = await StartWithUpstreamBOutsideTheConfigAsync();
        using var client = Clients.Http1();

        // A NUL in a path once threw out of validation on the reload thread and ended the process.
        host.Listeners["secure"] = new JsonObject
        {
            ["Address"] = "127.0.0.1:0",
            ["Certificate"] = new JsonObject { ["Path"] = "cert\0.pem", ["KeyPath"] = "key.pem" },
        };
        host.WriteConfig();
        Assert.True(host.Baton.Signal(Signals.SIGHUP));
        await host.Baton.WaitForEventAsync(
            BatonEventIds.ConfigReloadRejected,
            BatonTestHost.Timeout,
            e => e.Get("Source") == "SIGHUP" && e.Get("Error")?.Contains("Baton:Listeners:secure:Certificate:Path", StringComparison.Ordinal) == true);

        await AssertServedByAsync(client, host, "whoami", HttpStatusCode.OK, "upstream-a");
        Assert.False(host.Baton.Exited.IsCompleted);
    }

    [Fact]
    public async Task ListenerChange_LogsThatItNeedsAnUpgrade_AndBindsNothing()
    {
        await using var host = await StartWithUpstreamBOutsideTheConfigAsync();
        using var client = Clients.Http1();
        int extraPort = FreePorts.Reserve();

        host.Listeners["extra"] = new JsonObject { ["Address"] = $"127.0.0.1:{extraPort}" };
        host.Listeners["h2c"]!["Protocols"] = "Http1";
        AddRouteB(host);
        host.WriteConfig();

        var needsUpgrade = await host.Baton.WaitForEventAsync(BatonEventIds.ListenerChangeNeedsUpgrade, BatonTestHost.Timeout);
        Assert.Contains("extra added", needsUpgrade.Get("Changes"));
        Assert.Contains("h2c changed", needsUpgrade.Get("Changes"));
        Assert.DoesNotContain("public", needsUpgrade.Get("Changes"));

        // Routes and clusters still apply; the listeners stay as they were.
        await host.Baton.WaitForEventAsync(BatonEventIds.ConfigReloaded, BatonTestHost.Timeout);
        await AssertServedByAsync(client, host, "b/whoami", HttpStatusCode.OK, "upstream-b");
        Assert.False(await FreePorts.IsAcceptingAsync(extraPort), "a reload bound the new listener");
        using var h2c = Clients.H2c();
        var response = await h2c.GetAsync(new Uri(host.H2cUri, "whoami"));
        Assert.Equal(HttpVersion.Version20, response.Version);
    }

    /// <summary>Two upstreams; only upstream-a is in the config, so routing to upstream-b proves a reload.</summary>
    private static Task<BatonTestHost> StartWithUpstreamBOutsideTheConfigAsync(Action<BatonTestHost>? configure = null)
        => BatonTestHost.StartAsync(
            h =>
            {
                ((JsonObject)h.Config["ReverseProxy"]!["Clusters"]!["app"]!["Destinations"]!).Remove("upstream-b");
                configure?.Invoke(h);
            },
            upstreams: 2);

    /// <summary>Adds route <c>/b/{**rest}</c> to a new cluster <c>b</c> (upstream-b), stripping the prefix.</summary>
    private static void AddRouteB(BatonTestHost host)
    {
        var proxy = host.Config["ReverseProxy"]!;
        proxy["Clusters"]!["b"] = new JsonObject
        {
            ["Destinations"] = new JsonObject { ["b1"] = new JsonObject { ["Address"] = host.Upstreams[1].Url } },
        };
        proxy["Routes"]!["b"] = new JsonObject
        {
            ["ClusterId"] = "b",
            ["Match"] = new JsonObject { ["Path"] = "/b/{**rest}" },
            ["Transforms"] = new JsonArray(new JsonObject { ["PathPattern"] = "/{**rest}" }),
        };
    }

    private static async Task AssertServedByAsync(HttpClient client, BatonTestHost host, string path, HttpStatusCode status, string upstream)
    {
        var response = await client.GetAsync(new Uri(host.PublicUri, path));
        Assert.Equal(status, response.StatusCode);
        Assert.Equal([upstream], response.Headers.GetValues("X-Upstream"));
    }

    // baton.json is a symlink to etc/baton.json, as a mounted Kubernetes ConfigMap is.
    private static Task<BatonTestHost> StartWithSymlinkedConfigAsync() => StartWithUpstreamBOutsideTheConfigAsync(h =>
    {
        var target = Path.Combine(h.Work.FullName, "etc", "baton.json");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.WriteAllText(target, "{}");
        File.CreateSymbolicLink(h.ConfigPath, target);
    });
}
