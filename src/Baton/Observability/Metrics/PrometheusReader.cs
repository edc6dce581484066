using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Baton.Observability.Metrics;

/// <summary>
/// A pull reader on OpenTelemetry's meter provider: <see cref="Scrape"/> collects every metric
/// (cumulative) and renders it as Prometheus text. Scrapes are serialized; OpenTelemetry calls
/// the exporter on the scraping thread.
/// </summary>
internal sealed class PrometheusReader
{
    private readonly Exporter _exporter = new();
    private readonly object _gate = new();

    public PrometheusReader()
    {
        Reader = new BaseExportingMetricReader(_exporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };
    }

    public MetricReader Reader { get; }

    /// <summary>Collects now and returns the exposition text.</summary>
    public string Scrape()
    {
        lock (_gate)
        {
            _exporter.Text.Clear();
            Reader.Collect(timeoutMilliseconds: 5000);
            return _exporter.Text.ToString();
        }
    }

    // Push and pull (the default): a pull-only exporter can only be collected through
    // OpenTelemetry's internal pull interface. No periodic reader wraps it, so it exports only
    // when a scrape calls Collect.
    private sealed class Exporter : BaseExporter<Metric>
    {
        public StringBuilder Text { get; } = new(16 * 1024);

        public override ExportResult Export(in Batch<Metric> batch)
        {
            foreach (var metric in batch)
            {
                PrometheusText.Write(Text, metric);
            }

            return ExportResult.Success;
        }
    }
}
