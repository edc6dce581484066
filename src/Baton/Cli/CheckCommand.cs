using System.Text.Json;
using Baton.Configuration;
using Baton.Hosting.Lifecycle;
using Baton.Proxy;
using Baton.Tls;

namespace Baton.Cli;

/// <summary><c>baton check</c>: validates a config file and prints the effective configuration.</summary>
internal static class CheckCommand
{
    public static int Run(string path)
    {
        try
        {
            var root = ConfigLoader.Load(path);
            var settings = ConfigValidator.Validate(root, Path.GetDirectoryName(Path.GetFullPath(path))!);
            // As run: every certificate and key loads and matches (nothing is watched).
            TlsCertificates.Load(settings).Dispose();
            var effective = new Dictionary<string, object?>
            {
                ["Listeners"] = settings.Listeners.ToDictionary(l => l.Key, Describe),
                ["Admin"] = settings.Admin is null ? null : Describe(settings.Admin),
                ["Lifecycle"] = settings.Lifecycle,
                ["Limits"] = settings.Limits,
                ["ReverseProxy"] = new Dictionary<string, object>
                {
                    ["Routes"] = root.GetSection("ReverseProxy:Routes").GetChildren().Select(r => $"{r.Key} -> {r["ClusterId"]}").ToArray(),
                    ["Clusters"] = root.GetSection("ReverseProxy:Clusters").GetChildren().ToDictionary(
                        c => c.Key, c => c.GetSection("Destinations").GetChildren().Select(d => d["Address"]).ToArray()),
                },
            };
            Console.WriteLine(JsonSerializer.Serialize(effective, CliJsonContext.Default.DictionaryStringObject));
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
