using Baton.Configuration;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Health;
using Baton.Observability.AccessLog;
using Baton.Observability.Metrics;
using Baton.Observability.Tracing;
using Baton.Observability.Upstream;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Baton.Observability;

/// <summary>Wires the access log, request metrics (Prometheus on /metrics, optional OTLP) and trace context.</summary>
internal static partial class ObservabilityExtensions
{
    /// <summary>The meters on /metrics besides Baton's own: what ASP.NET Core, Kestrel, the rate limiter, the HTTP client and the runtime publish.</summary>
    public static readonly string[] Meters =
    [
        BatonMetrics.MeterName,
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.RateLimiting",
        "System.Net.Http",
        "System.Runtime",
    ];

    public static IServiceCollection AddBatonObservability(this IServiceCollection services, BatonSettings settings)
    {
        if (settings.AccessLog.Enabled)
        {
            services.AddSingleton(settings.AccessLog);
            services.AddSingleton<AccessLogWriter>();
        }

        services.AddSingleton(sp => new ObservabilityMeter(sp.GetRequiredService<Yarp.ReverseProxy.IProxyStateLookup>(), sp.GetService<AccessLogWriter>()));
        services.AddSingleton<PrometheusReader>();
        services.AddSingleton<IAdminEndpoint, MetricsEndpoint>();

        var telemetry = settings.Telemetry;
        var otlp = telemetry.OtlpEndpoint;
        var otel = services.AddOpenTelemetry().ConfigureResource(r => r.AddService(telemetry.ServiceName));
        otel.WithMetrics(m =>
        {
            m.AddMeter(Meters);
            m.AddView(MetricCardinality.View);
            m.AddReader(sp =>
            {
                // Instruments observed at collection time exist from the start.
                _ = sp.GetRequiredService<ObservabilityMeter>();
                return sp.GetRequiredService<PrometheusReader>().Reader;
            });
            if (otlp is not null && telemetry.Metrics)
            {
                m.AddOtlpExporter((exporter, reader) =>
                {
                    Otlp(exporter, otlp, telemetry.OtlpProtocol, "v1/metrics");
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)telemetry.MetricsExportInterval.TotalMilliseconds;
                });
            }
        });

        if (otlp is not null && telemetry.Traces)
        {
            otel.WithTracing(t => t
                .AddSource("Microsoft.AspNetCore", "System.Net.Http", "Yarp.ReverseProxy")
                .AddOtlpExporter(exporter => Otlp(exporter, otlp, telemetry.OtlpProtocol, "v1/traces")));
        }
        else
        {
            services.AddSingleton<TraceContextListener>();
        }

        return services;
    }

    /// <summary>Starts what must run before the first request (the trace-context listener, the meter provider, the access-log writer).</summary>
    public static void StartBatonObservability(this IServiceProvider services)
    {
        _ = services.GetService<TraceContextListener>();
        _ = services.GetRequiredService<MeterProvider>();
        _ = services.GetService<AccessLogWriter>();
        if (services.GetService<TracerProvider>() is not null || services.GetRequiredService<BatonSettings>().Telemetry.OtlpEndpoint is not null)
        {
            var settings = services.GetRequiredService<BatonSettings>().Telemetry;
            Log.Exporting(services.GetRequiredService<ILoggerFactory>().CreateLogger("Baton.Telemetry"), settings.OtlpEndpoint!.ToString(), settings.OtlpProtocol, settings.Traces, settings.Metrics);
        }
    }

    /// <summary>Put first: the access log and request metrics see every public request, Baton's own refusals included.</summary>
    public static IApplicationBuilder UseBatonObservability(this IApplicationBuilder app)
        => app.UseMiddleware<RequestObservationMiddleware>();

    /// <summary>Put last in YARP's proxy pipeline: upstream timing and the one-line upstream error.</summary>
    public static IReverseProxyApplicationBuilder UseBatonUpstreamTiming(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<UpstreamTimingMiddleware>();
        return proxy;
    }

    private static void Otlp(OtlpExporterOptions exporter, Uri endpoint, string protocol, string signalPath)
    {
        exporter.Protocol = protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        // With HTTP the base endpoint gets the signal's path, as OTEL_EXPORTER_OTLP_ENDPOINT does.
        exporter.Endpoint = protocol == "grpc" ? endpoint : new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/" + signalPath);
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.TelemetryExporting, LogLevel.Information, "OTLP export to {Endpoint} ({Protocol}): traces {Traces}, metrics {Metrics}", EventName = nameof(BatonEventIds.TelemetryExporting))]
        public static partial void Exporting(ILogger logger, string endpoint, string protocol, bool traces, bool metrics);
    }
}
