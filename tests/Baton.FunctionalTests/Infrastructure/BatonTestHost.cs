using System.Text.Json.Nodes;
using Baton.Testing;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Infrastructure;

/// <summary>
/// One real Baton process in front of real upstreams, on ephemeral loopback ports, in a temp
/// directory; always stops both. Tests edit <see cref="Config"/> before start, wait on log events,
/// and read the bound ports from Baton's own <c>ProxyListening</c> events.
/// </summary>
public sealed class BatonTestHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private BatonTestHost(DirectoryInfo work, List<DemoUpstream> upstreams, JsonObject config)
    {
        Work = work;
        Upstreams = upstreams;
        Config = config;
        ConfigPath = Path.Combine(work.FullName, "baton.json");
    }

    public DirectoryInfo Work { get; }

    public List<DemoUpstream> Upstreams { get; }

    /// <summary>The config written to <see cref="ConfigPath"/> at start (and by <see cref="WriteConfig"/>).</summary>
    public JsonObject Config { get; }

    public string ConfigPath { get; }

    public BatonProcess Baton { get; private set; } = null!;

    /// <summary>Creates upstreams and a default config: listeners "public" (HTTP/1.1), "h2c" (HTTP/2 prior knowledge), an admin listener; grace 0, drain 10 s; no access log.</summary>
    public static async Task<BatonTestHost> CreateAsync(int upstreams = 1)
    {
        var work = Directory.CreateTempSubdirectory("baton-test-");
        var list = new List<DemoUpstream>();
        for (int i = 0; i < upstreams; i++)
        {
            list.Add(await DemoUpstream.StartAsync($"upstream-{(char)('a' + i)}"));
        }

        var destinations = new JsonObject();
        foreach (var u in list)
        {
            destinations[u.Name] = new JsonObject { ["Address"] = u.Url };
        }

        var config = new JsonObject
        {
            ["Baton"] = new JsonObject
            {
                ["Listeners"] = new JsonObject
                {
                    ["public"] = new JsonObject { ["Address"] = "127.0.0.1:0", ["Protocols"] = "Http1AndHttp2" },
                    ["h2c"] = new JsonObject { ["Address"] = "127.0.0.1:0", ["Protocols"] = "Http2" },
                },
                ["Admin"] = new JsonObject { ["Address"] = "127.0.0.1:0" },
                ["Lifecycle"] = new JsonObject { ["DrainTimeout"] = "00:00:10", ["ShutdownGracePeriod"] = "00:00:00" },
                // Off unless a test turns it on: under load this process would mostly parse access lines.
                ["AccessLog"] = new JsonObject { ["Enabled"] = false },
            },
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject { ["all"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Path"] = "{**catch-all}" } } },
                ["Clusters"] = new JsonObject { ["app"] = new JsonObject { ["LoadBalancingPolicy"] = "RoundRobin", ["Destinations"] = destinations } },
            },
        };
        return new BatonTestHost(work, list, config);
    }

    /// <summary>Creates the default setup and starts Baton; returns once it logged <c>Started</c>.</summary>
    public static async Task<BatonTestHost> StartAsync(Action<BatonTestHost>? configure = null, int upstreams = 1)
    {
        var host = await CreateAsync(upstreams);
        configure?.Invoke(host);
        await host.StartBatonAsync();
        return host;
    }

    public JsonObject Lifecycle => (JsonObject)Config["Baton"]!["Lifecycle"]!;

    public JsonObject Listeners => (JsonObject)Config["Baton"]!["Listeners"]!;

    public JsonObject AccessLog => (JsonObject)Config["Baton"]!["AccessLog"]!;

    public void WriteConfig() => File.WriteAllText(ConfigPath, Config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

    public async Task StartBatonAsync(IDictionary<string, string>? environment = null)
    {
        WriteConfig();
        Baton = BatonProcess.Start(["run", "--config", ConfigPath, "--log-format", "json"], environment);
        await Baton.WaitForEventAsync(BatonEventIds.Started, Timeout);
    }

    /// <summary>The address a listener actually bound (port 0 resolved), from Baton's log.</summary>
    public string Address(string key)
        => Baton.Events.Last(e => e.EventId == BatonEventIds.ProxyListening && e.Get("Key") == key).Get("EndPoint")!;

    public Uri PublicUri => new($"http://{Address("public")}/");

    public Uri H2cUri => new($"http://{Address("h2c")}/");

    public Uri AdminUri => new($"http://{Address("@admin")}/");

    public async ValueTask DisposeAsync()
    {
        if (Baton is not null)
        {
            await Baton.DisposeAsync();
        }

        foreach (var u in Upstreams)
        {
            await u.DisposeAsync();
        }

        try
        {
            Work.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
