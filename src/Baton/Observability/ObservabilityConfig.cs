using Baton.Observability.AccessLog;
using Microsoft.Extensions.Configuration;

namespace Baton.Observability;

/// <summary>Reads and validates <c>Baton:AccessLog</c> and <c>Baton:Telemetry</c>: one line per problem, naming the key, the value and what is allowed.</summary>
internal static class ObservabilityConfig
{
    public static readonly string[] AccessLogKeys = ["Enabled", "Format", "Path", "BufferLines"];
    public static readonly string[] TelemetryKeys = ["OtlpEndpoint", "OtlpProtocol", "Traces", "Metrics", "MetricsExportInterval", "ServiceName"];

    public static AccessLogOptions ReadAccessLog(List<string> errors, IConfigurationSection section, string baseDirectory)
    {
        Configuration.UnknownKeys.Check(errors, section, AccessLogKeys);
        var o = new AccessLogOptions();
        var format = o.Format;
        if (section["Format"] is { } f)
        {
            if (f.Equals("json", StringComparison.OrdinalIgnoreCase))
            {
                format = AccessLogFormat.Json;
            }
            else if (f.Equals("text", StringComparison.OrdinalIgnoreCase) || f.Equals("combined", StringComparison.OrdinalIgnoreCase))
            {
                format = AccessLogFormat.Text;
            }
            else
            {
                errors.Add($"{section.Path}:Format = '{f}': allowed json or text");
            }
        }

        string? path = null;
        if (section["Path"] is { Length: > 0 } p)
        {
            path = Path.GetFullPath(p, baseDirectory);
            if (!Directory.Exists(Path.GetDirectoryName(path)))
            {
                errors.Add($"{section.Path}:Path = '{p}': directory {Path.GetDirectoryName(path)} does not exist");
            }
            else if (!Configuration.Writable.File(path, out var why))
            {
                errors.Add($"{section.Path}:Path = '{p}': cannot be opened for appending: {why}");
            }
        }

        return o with
        {
            Enabled = Configuration.ConfigReader.Bool(errors, section, "Enabled") ?? o.Enabled,
            Format = format,
            Path = path,
            BufferLines = Configuration.ConfigReader.Int(errors, section, "BufferLines", 16, 1_048_576) ?? o.BufferLines,
        };
    }

    public static TelemetryOptions ReadTelemetry(List<string> errors, IConfigurationSection section)
    {
        Configuration.UnknownKeys.Check(errors, section, TelemetryKeys);
        var o = new TelemetryOptions();
        Uri? endpoint = null;
        if (section["OtlpEndpoint"] is { Length: > 0 } e)
        {
            if (!Uri.TryCreate(e, UriKind.Absolute, out endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"{section.Path}:OtlpEndpoint = '{e}': an absolute http:// or https:// URL is required, e.g. http://127.0.0.1:4318");
                endpoint = null;
            }
        }

        var protocol = o.OtlpProtocol;
        if (section["OtlpProtocol"] is { } p)
        {
            if (p is "grpc" or "http/protobuf")
            {
                protocol = p;
            }
            else
            {
                errors.Add($"{section.Path}:OtlpProtocol = '{p}': allowed grpc or http/protobuf");
            }
        }

        var interval = Configuration.ConfigReader.Duration(errors, section, "MetricsExportInterval", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1), o.MetricsExportInterval) ?? o.MetricsExportInterval;
        return o with
        {
            OtlpEndpoint = endpoint,
            OtlpProtocol = protocol,
            Traces = Configuration.ConfigReader.Bool(errors, section, "Traces") ?? o.Traces,
            Metrics = Configuration.ConfigReader.Bool(errors, section, "Metrics") ?? o.Metrics,
            MetricsExportInterval = interval,
            ServiceName = section["ServiceName"] is { Length: > 0 } name ? name : o.ServiceName,
        };
    }
}
