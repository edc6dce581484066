using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Baton.Configuration;
using Baton.Hosting.Lifecycle;

namespace Baton.Cli;

/// <summary>
/// <c>baton upgrade</c>, <c>baton prestop</c>, <c>baton status</c>: talk to the running instance's
/// admin listener (loopback or a Unix socket), found with <c>--admin</c> or from <c>--config</c>.
/// </summary>
internal static class ControlCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Make("upgrade", "Upgrade the running instance with no downtime; waits for the result. Exit 0 on success, 4 rolled back, 5 refused.", HttpMethod.Post, "/upgrade", TimeSpan.FromMinutes(10), ExitCodes.UpgradeFailed);
        yield return Make("prestop", "Kubernetes preStop: withdraw readiness, wait the grace period, begin the drain.", HttpMethod.Post, "/prestop", TimeSpan.FromMinutes(10), ExitCodes.Error);
        yield return Make("status", "Print the running instance's phase, pid, generation, in-flight requests and listeners.", HttpMethod.Get, "/status", TimeSpan.FromSeconds(10), ExitCodes.Error);
    }

    private static Command Make(string name, string description, HttpMethod method, string path, TimeSpan timeout, int failureCode)
    {
        var admin = new Option<string?>("--admin") { Description = "The admin address (host:port or unix:/path)." };
        var config = new Option<string?>("--config", "-c") { Description = "Read the admin address from this config file." };
        var command = new Command(name, description) { admin, config };
        command.SetAction(async (p, ct) =>
        {
            string address;
            try
            {
                address = ResolveAdmin(p.GetValue(admin), p.GetValue(config));
            }
            catch (ConfigException ex)
            {
                Console.Error.WriteLine($"baton {name}: {ex.Message}");
                return ExitCodes.Usage;
            }

            try
            {
                var (status, body) = await SendAsync(address, method, path, timeout, ct).ConfigureAwait(false);
                Console.WriteLine(body);
                return status == HttpStatusCode.OK ? ExitCodes.Success
                    : failureCode == ExitCodes.UpgradeFailed && IsRefusal(body) ? ExitCodes.UpgradeRefused
                    : failureCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or SocketException or TaskCanceledException)
            {
                Console.Error.WriteLine($"baton {name}: cannot reach the admin listener at {address}: {ex.Message}");
                return ExitCodes.Error;
            }
        });
        return command;
    }

    // POST /upgrade answers an UpgradeResult; "refused": true means nothing started (exit 5), else
    // it was rolled back (exit 4).
    private static bool IsRefusal(string body)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && doc.RootElement.TryGetProperty("refused", out var refused)
                && refused.ValueKind == System.Text.Json.JsonValueKind.True;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static string ResolveAdmin(string? admin, string? configPath)
    {
        if (admin is not null)
        {
            return admin;
        }

        if (configPath is null)
        {
            throw new ConfigException("pass --admin ADDRESS or --config FILE");
        }

        var settings = ConfigValidator.Validate(ConfigLoader.Load(configPath), Path.GetDirectoryName(Path.GetFullPath(configPath))!);
        return settings.Admin?.Address ?? throw new ConfigException($"{configPath}: Baton:Admin:Address is not set");
    }

    /// <summary>The header state-changing admin calls carry (Baton.Hosting's AdminRequestGuard.HeaderName).</summary>
    public const string AdminHeader = "X-Baton-Admin";

    /// <summary>Sends one request to an admin address (host:port or unix:/path).</summary>
    public static async Task<(HttpStatusCode Status, string Body)> SendAsync(string address, HttpMethod method, string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!ConfigValidator.TryParseEndPoint(address, out var endPoint, out var why))
        {
            throw new HttpRequestException($"admin address '{address}': {why}");
        }

        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(endPoint!.AddressFamily, SocketType.Stream, endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(endPoint, token).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var client = new HttpClient(handler) { Timeout = timeout };
        // What the admin listener requires (AdminRequestGuard): a loopback Host on TCP (the address
        // itself; "localhost" on a Unix socket) and the header no web page can send cross-site.
        var authority = endPoint is IPEndPoint ip ? ip.ToString() : "localhost";
        using var request = new HttpRequestMessage(method, new Uri($"http://{authority}{path}"));
        request.Headers.Add(AdminHeader, "1");
        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }
}
