using System.Globalization;
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
            Enabled = Bool(errors, section, "Enabled") ?? o.Enabled,
            Format = format,
            Path = path,
            BufferLines = Int(errors, section, "BufferLines", 16, 1_048_576) ?? o.BufferLines,
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

        var interval = o.MetricsExportInterval;
        if (section["MetricsExportInterval"] is { } i)
        {
            if (!TimeSpan.TryParse(i, CultureInfo.InvariantCulture, out interval) || interval < TimeSpan.FromSeconds(1))
            {
                errors.Add($"{section.Path}:MetricsExportInterval = '{i}': allowed a duration of at least 1 s, such as \"00:01:00\"");
                interval = o.MetricsExportInterval;
            }
        }

        return o with
        {
            OtlpEndpoint = endpoint,
            OtlpProtocol = protocol,
            Traces = Bool(errors, section, "Traces") ?? o.Traces,
            Metrics = Bool(errors, section, "Metrics") ?? o.Metrics,
            MetricsExportInterval = interval,
            ServiceName = section["ServiceName"] is { Length: > 0 } name ? name : o.ServiceName,
        };
    }

    internal static bool? Bool(List<string> errors, IConfigurationSection section, string key)
    {
        if (section[key] is not { } text)
        {
            return null;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        errors.Add($"{section.Path}:{key} = '{text}': allowed true or false");
        return null;
    }

    internal static int? Int(List<string> errors, IConfigurationSection section, string key, int min, int max)
    {
        if (section[key] is not { } text)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        errors.Add($"{section.Path}:{key} = '{text}': allowed an integer {min} to {max}");
        return null;
    }
}
