using System.Text.Json;
using Baton.Configuration;
using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Baton.Proxy;

namespace Baton.Cli;

/// <summary><c>baton check</c>: validates a config file and prints the effective configuration, every <c>Baton</c> section with its defaults filled in.</summary>
internal static class CheckCommand
{
    /// <summary>
    /// Runs exactly what <c>baton run</c> validates before it binds (<see cref="ProxyHost.Validate"/>
    /// then <see cref="ProxyHost.Build"/>: YARP's own validation included), binds nothing, and
    /// prints the same lines on the same failures.
    /// </summary>
    public static async Task<int> RunAsync(string path)
    {
        try
        {
            var (root, settings, certificates) = ProxyHost.Validate(path);
            using (certificates)
            using (var intake = HandoffIntake.FromEnvironment(upgradeFromSocket: false))
            {
                var (app, _) = ProxyHost.Build(new RunOptions(path, JsonLogs: false, Upgrade: false), root, settings, certificates, intake);
                await app.DisposeAsync().ConfigureAwait(false);
            }

            var effective = new Dictionary<string, object?>
            {
                ["Listeners"] = settings.Listeners.ToDictionary(l => l.Key, Describe),
                ["Admin"] = settings.Admin is null ? null : Describe(settings.Admin),
                ["Lifecycle"] = settings.Lifecycle,
                ["Limits"] = settings.Limits,
                ["AccessLog"] = settings.AccessLog,
                ["Telemetry"] = settings.Telemetry,
                ["Memory"] = settings.Memory,
                ["Runtime"] = settings.Runtime,
                ["Policies"] = settings.Policies,
                ["Upstreams"] = new Dictionary<string, object?>
                {
                    ["Defaults"] = settings.Upstreams.Defaults,
                    ["Clusters"] = settings.Upstreams.Clusters,
                },
                ["ReverseProxy"] = new Dictionary<string, object>
                {
                    ["Routes"] = root.GetSection("ReverseProxy:Routes").GetChildren().Select(r => $"{r.Key} -> {r["ClusterId"]}").ToArray(),
                    ["Clusters"] = root.GetSection("ReverseProxy:Clusters").GetChildren().ToDictionary(
                        c => c.Key, c => c.GetSection("Destinations").GetChildren().Select(d => d["Address"]).ToArray()),
                },
            };
            Console.WriteLine(JsonSerializer.Serialize(effective, CliJsonContext.Default.DictionaryStringObject));
            foreach (var warning in settings.Warnings)
            {
                Console.Error.WriteLine($"baton: warning: {warning}");
            }

            Console.Error.WriteLine($"baton: {path}: configuration is valid");
            return ExitCodes.Success;
        }
        catch (ConfigException ex)
        {
            return ProxyHost.ConfigError(ex.Message);
        }
    }

    private static Dictionary<string, object?> Describe(ListenerSettings l) => new()
    {
        ["Address"] = l.Address,
        ["Protocols"] = l.Protocols.ToString(),
        ["Tls"] = l.IsTls,
        ["HealthEndpoints"] = l.HealthEndpoints,
        ["Backlog"] = l.Backlog,
        ["MaxConnections"] = l.MaxConnections,
        ["Sni"] = l.Sni?.Entries.Select(e => e.HostName).ToArray(),
    };
}
