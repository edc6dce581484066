using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Baton.Hosting.Lifecycle;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;

namespace Baton.Configuration;

/// <summary>
/// Reads and validates the <c>Baton</c> section (and the cross-references of <c>ReverseProxy</c>
/// that YARP itself only reports after start). Every problem is one line naming the key, the
/// value and what is allowed; nothing is bound until the whole file is valid.
/// </summary>
public static class ConfigValidator
{
    private static readonly string[] s_batonKeys = ["Listeners", "Admin", "Lifecycle", "Limits", "AccessLog", "Telemetry", "RateLimiterPolicies", "CorsPolicies", "TimeoutPolicies", "Upstreams", "Memory", "Runtime"];
    private static readonly string[] s_memoryKeys = ["IdleTrimAfter"];
    private static readonly string[] s_runtimeKeys = ["InlineSocketCompletions"];
    private static readonly string[] s_listenerKeys = ["Address", "Protocols", "Certificate", "Sni", "HealthEndpoints", "Backlog", "MaxConnections"];
    private static readonly string[] s_certificateKeys = ["Path", "KeyPath"];
    private static readonly string[] s_adminKeys = ["Address"];
    private static readonly string[] s_lifecycleKeys =
    [
        "DrainTimeout", "ShutdownGracePeriod", "LongLivedCloseLead", "FastStopTimeout", "EnableZeroDowntime",
        "SocketPath", "UpgradeCommand", "UpgradeTimeout", "MaxDrainingGenerations", "PidFile",
        // The seed's file names, accepted as aliases.
        "drain_timeout_ms", "shutdown_grace_period_ms", "enable_zero_downtime", "socket_path", "pid_file", "upgrade_timeout_ms",
    ];

    private static readonly string[] s_protocols = ["Http1", "Http2", "Http1AndHttp2"];

    /// <summary>The default backlog: generous, since a reload must never overflow it (the kernel caps it at somaxconn).</summary>
    public const int DefaultBacklog = 4096;

    /// <summary>Validates <paramref name="config"/> and returns the typed settings.</summary>
    /// <exception cref="ConfigException">One line per problem.</exception>
    public static BatonSettings Validate(IConfiguration config, string baseDirectory)
    {
        var errors = new List<string>();
        var baton = config.GetSection("Baton");
        ProxySchema.CheckTopLevel(errors, config);
        UnknownKeys.Check(errors, baton, s_batonKeys);

        var listeners = new List<ListenerSettings>();
        var listenersSection = baton.GetSection("Listeners");
        foreach (var l in listenersSection.GetChildren())
        {
            if (l.Key.StartsWith('@'))
            {
                // "@admin" is the key the admin listener is handed over under; whether a listener is
                // the admin one is decided by Baton:Admin alone, never by a name.
                errors.Add($"{l.Path}: listener names starting with '@' are reserved for Baton; rename it, and configure the admin listener under Baton:Admin");
                continue;
            }

            if (ReadListener(errors, l, l.Key, baseDirectory, isAdmin: false) is { } settings)
            {
                listeners.Add(settings);
            }
        }

        if (listeners.Count == 0 && errors.Count == 0)
        {
            errors.Add("Baton:Listeners: no listener is configured; add one, e.g. \"public\": { \"Address\": \"0.0.0.0:8080\" }");
        }

        ListenerSettings? admin = null;
        var adminSection = baton.GetSection("Admin");
        if (adminSection.Exists())
        {
            UnknownKeys.Check(errors, adminSection, s_adminKeys);
            admin = ReadListener(errors, adminSection, ListenerSettings.AdminKey, baseDirectory, isAdmin: true);
        }

        var lifecycle = ReadLifecycle(errors, baton.GetSection("Lifecycle"));
        foreach (var failure in new LifecycleOptionsValidator().Validate(null, lifecycle).Failures ?? [])
        {
            errors.Add(failure);
        }

        var limits = Baton.Limits.LimitsConfig.Read(errors, baton.GetSection("Limits"));
        var accessLog = Observability.ObservabilityConfig.ReadAccessLog(errors, baton.GetSection("AccessLog"), baseDirectory);
        var telemetry = Observability.ObservabilityConfig.ReadTelemetry(errors, baton.GetSection("Telemetry"));
        var policies = Policies.RoutePoliciesConfig.Read(errors, baton);
        ProxySchema.Check(errors, config.GetSection("ReverseProxy"));
        Policies.RoutePoliciesConfig.CheckRoutes(errors, config.GetSection("ReverseProxy"), policies);
        DuplicateAddresses(errors, admin is null ? listeners : [.. listeners, admin]);
        ValidateProxy(errors, config.GetSection("ReverseProxy"));
        var clusterIds = config.GetSection("ReverseProxy:Clusters").GetChildren().Select(c => c.Key).ToList();
        var upstreams = Upstreams.UpstreamPolicies.Read(errors, baton.GetSection("Upstreams"), clusterIds);
        var memory = ReadMemory(errors, baton.GetSection("Memory"));
        var runtime = ReadRuntime(errors, baton.GetSection("Runtime"));

        if (errors.Count > 0)
        {
            throw new ConfigException(ConfigSources.Annotate(config, string.Join(Environment.NewLine, errors)));
        }

        return new BatonSettings(listeners, admin, lifecycle, limits)
        {
            AccessLog = accessLog,
            Telemetry = telemetry,
            Policies = policies,
            Upstreams = upstreams,
            Memory = memory,
            Runtime = runtime,
            Warnings = config.GetSection("ReverseProxy:Routes").GetChildren().Any() ? [] : ["ReverseProxy:Routes: no route is configured; every request will get 404"],
        };
    }

    private static ListenerSettings? ReadListener(List<string> errors, IConfigurationSection section, string key, string baseDirectory, bool isAdmin)
    {
        var path = section.Path;
        if (!isAdmin)
        {
            UnknownKeys.Check(errors, section, s_listenerKeys);
            UnknownKeys.Check(errors, section.GetSection("Certificate"), s_certificateKeys);
        }

        var address = section["Address"];
        if (string.IsNullOrWhiteSpace(address))
        {
            errors.Add(isAdmin
                ? $"{path}:Address is missing; e.g. \"127.0.0.1:9901\", \"[::1]:9901\" or \"unix:/run/baton-admin.sock\""
                : $"{path}:Address is missing; e.g. \"0.0.0.0:8080\", \"[::]:8080\" or \"unix:/run/baton.sock\"");
            return null;
        }

        if (!TryParseEndPoint(address, out var endPoint, out var why))
        {
            errors.Add($"{path}:Address = '{address}': {why}");
            return null;
        }

        if (isAdmin && endPoint is IPEndPoint ip && !IPAddress.IsLoopback(ip.Address))
        {
            errors.Add($"{path}:Address = '{address}': the admin listener must be on loopback (127.0.0.1, [::1]) or a Unix socket, never public");
            return null;
        }

        var protocols = HttpProtocols.Http1AndHttp2;
        if (section["Protocols"] is { } p)
        {
            var match = s_protocols.FirstOrDefault(x => string.Equals(x, p, StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                errors.Add($"{path}:Protocols = '{p}': allowed {string.Join(", ", s_protocols)}");
            }
            else
            {
                protocols = Enum.Parse<HttpProtocols>(match);
            }
        }

        string? cert = null, keyFile = null;
        var certSection = section.GetSection("Certificate");
        if (certSection.Exists())
        {
            cert = ExistingFile(errors, certSection, "Path", baseDirectory);
            keyFile = ExistingFile(errors, certSection, "KeyPath", baseDirectory);
        }

        var sni = isAdmin ? null : Baton.Tls.SniConfig.Read(errors, section.GetSection("Sni"), baseDirectory);
        if (certSection.Exists() && sni is not null && sni.Entries.Any(e => e.HostName == "*"))
        {
            errors.Add($"{path}:Sni:*: the listener's Certificate already serves every name no Sni entry matches; keep one of the two");
        }

        var maxConnections = isAdmin ? null : Baton.Limits.LimitsConfig.MaxConnections(errors, section);

        bool health = ConfigReader.Bool(errors, section, "HealthEndpoints") ?? false;
        int backlog = ConfigReader.Int(errors, section, "Backlog", 1, 65535, defaultValue: DefaultBacklog) ?? DefaultBacklog;
        return new ListenerSettings(key, address, endPoint!, isAdmin ? HttpProtocols.Http1 : protocols, cert, keyFile, isAdmin || health, backlog, sni, maxConnections)
        {
            IsAdmin = isAdmin,
        };
    }

    /// <summary>Parses "host:port", "[v6]:port", "*:port", "localhost:port" or "unix:/path".</summary>
    public static bool TryParseEndPoint(string address, out EndPoint? endPoint, out string why)
    {
        endPoint = null;
        why = "";
        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            var socketPath = address["unix:".Length..];
            if (socketPath.Length is 0 or > 107)
            {
                why = "a Unix socket path of 1 to 107 bytes is required after 'unix:'";
                return false;
            }

            endPoint = new UnixDomainSocketEndPoint(socketPath);
            return true;
        }

        int colon = address.LastIndexOf(':');
        if (colon <= 0 || colon == address.Length - 1)
        {
            why = "expected host:port, [ipv6]:port or unix:/path";
            return false;
        }

        var host = address[..colon];
        var portText = address[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            why = $"port '{portText}' is out of range; allowed 0 to 65535 (0 picks a free port)";
            return false;
        }

        IPAddress? ip = host switch
        {
            "*" => IPAddress.Any,
            "localhost" => IPAddress.Loopback,
            _ when host.StartsWith('[') && host.EndsWith(']') && IPAddress.TryParse(host[1..^1], out var v6) => v6,
            _ when IPAddress.TryParse(host, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork => v4,
            _ => null,
        };
        if (ip is null)
        {
            why = $"host '{host}' is not an IP address; use an IPv4 address, [IPv6], * or localhost";
            return false;
        }

        endPoint = new IPEndPoint(ip, port);
        return true;
    }

    // The ranges are LifecycleOptionsValidator's, checked here per key so that a bad value is one
    // line and the default stays in place for the cross-key checks (no second, derived line).
    private static LifecycleOptions ReadLifecycle(List<string> errors, IConfigurationSection section)
    {
        UnknownKeys.Check(errors, section, s_lifecycleKeys);
        var o = new LifecycleOptions();
        var day = TimeSpan.FromDays(1);
        o.DrainTimeout = ConfigReader.Duration(errors, section, "DrainTimeout", TimeSpan.FromMilliseconds(1), day, o.DrainTimeout, "drain_timeout_ms") ?? o.DrainTimeout;
        o.ShutdownGracePeriod = ConfigReader.Duration(errors, section, "ShutdownGracePeriod", TimeSpan.Zero, day, o.ShutdownGracePeriod, "shutdown_grace_period_ms") ?? o.ShutdownGracePeriod;
        o.LongLivedCloseLead = ConfigReader.Duration(errors, section, "LongLivedCloseLead", TimeSpan.Zero, day, o.LongLivedCloseLead) ?? o.LongLivedCloseLead;
        o.FastStopTimeout = ConfigReader.Duration(errors, section, "FastStopTimeout", TimeSpan.Zero, TimeSpan.FromMinutes(5), o.FastStopTimeout) ?? o.FastStopTimeout;
        o.UpgradeTimeout = ConfigReader.Duration(errors, section, "UpgradeTimeout", TimeSpan.FromMilliseconds(100), day, o.UpgradeTimeout, "upgrade_timeout_ms") ?? o.UpgradeTimeout;
        o.EnableZeroDowntime = ConfigReader.Bool(errors, section, "EnableZeroDowntime", "enable_zero_downtime") ?? o.EnableZeroDowntime;
        o.MaxDrainingGenerations = ConfigReader.Int(errors, section, "MaxDrainingGenerations", 1, 100, defaultValue: o.MaxDrainingGenerations) ?? o.MaxDrainingGenerations;
        o.SocketPath = ConfigReader.Text(section, "SocketPath", "socket_path");
        o.PidFile = ConfigReader.Text(section, "PidFile", "pid_file");
        o.UpgradeCommand = ConfigReader.Text(section, "UpgradeCommand");
        return o;
    }

    private static Proxy.MemorySettings ReadMemory(List<string> errors, IConfigurationSection section)
    {
        UnknownKeys.Check(errors, section, s_memoryKeys);
        var d = new Proxy.MemorySettings();
        return new Proxy.MemorySettings
        {
            IdleTrimAfter = ConfigReader.Duration(errors, section, "IdleTrimAfter", TimeSpan.Zero, TimeSpan.FromDays(1), d.IdleTrimAfter) ?? d.IdleTrimAfter,
        };
    }

    private static Proxy.RuntimeSettings ReadRuntime(List<string> errors, IConfigurationSection section)
    {
        UnknownKeys.Check(errors, section, s_runtimeKeys);
        var d = new Proxy.RuntimeSettings();
        return new Proxy.RuntimeSettings
        {
            InlineSocketCompletions = ConfigReader.Bool(errors, section, "InlineSocketCompletions") ?? d.InlineSocketCompletions,
        };
    }

    internal static string? ExistingFile(List<string> errors, IConfigurationSection section, string key, string baseDirectory)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{section.Path}:{key} is missing; a PEM file is required for HTTPS");
            return null;
        }

        if (value.Contains('\0'))
        {
            errors.Add($"{section.Path}:{key} contains a NUL character; a file path is required");
            return null;
        }

        var full = Path.GetFullPath(value, baseDirectory);
        if (!File.Exists(full))
        {
            errors.Add($"{section.Path}:{key} = '{value}': file not found ({full})");
            return null;
        }

        return full;
    }

    private static void DuplicateAddresses(List<string> errors, IReadOnlyList<ListenerSettings> listeners)
    {
        foreach (var group in listeners.GroupBy(l => l.EndPoint.ToString()).Where(g => g.Count() > 1 && !g.Key!.EndsWith(":0", StringComparison.Ordinal)))
        {
            errors.Add($"Baton:Listeners: {string.Join(" and ", group.Select(l => l.Key))} both use address {group.Key}; each listener needs its own address");
        }
    }

    private static void ValidateProxy(List<string> errors, IConfigurationSection proxy)
    {
        var clusters = proxy.GetSection("Clusters").GetChildren().Select(c => c.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var route in proxy.GetSection("Routes").GetChildren())
        {
            var cluster = route["ClusterId"];
            if (string.IsNullOrEmpty(cluster))
            {
                errors.Add($"{route.Path}:ClusterId is missing; name one of the clusters: {string.Join(", ", clusters)}");
            }
            else if (!clusters.Contains(cluster))
            {
                errors.Add($"{route.Path}:ClusterId = '{cluster}': no such cluster in ReverseProxy:Clusters; defined: {(clusters.Count == 0 ? "none" : string.Join(", ", clusters))}");
            }
        }

        foreach (var destination in proxy.GetSection("Clusters").GetChildren().SelectMany(c => c.GetSection("Destinations").GetChildren()))
        {
            var address = destination["Address"];
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"{destination.Path}:Address = '{address}': an absolute http:// or https:// URL is required");
            }
        }
    }
}
