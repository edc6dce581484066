using System.Globalization;
using System.Text;
using OpenTelemetry.Metrics;

namespace Baton.Observability.Metrics;

/// <summary>
/// Writes OpenTelemetry's aggregated metrics in the Prometheus text exposition format (0.0.4),
/// with the OpenTelemetry-to-Prometheus naming rules: dots become underscores, the unit becomes a
/// suffix (<c>_seconds</c>, <c>_bytes</c>), monotonic sums are counters ending in <c>_total</c>,
/// histograms have cumulative <c>_bucket{le=…}</c> lines with <c>_sum</c> and <c>_count</c>.
/// Baton's own instruments are prefixed <c>baton_</c>.
/// </summary>
internal static class PrometheusText
{
    public static void Write(StringBuilder text, Metric metric)
    {
        var type = metric.MetricType;
        if (type == MetricType.ExponentialHistogram)
        {
            return;
        }

        var counter = type is MetricType.LongSum or MetricType.DoubleSum;
        var histogram = type == MetricType.Histogram;
        var name = Name(metric, counter);
        text.Append("# HELP ").Append(name).Append(' ');
        Escape(text, string.IsNullOrEmpty(metric.Description) ? metric.Name : metric.Description, help: true);
        text.Append('\n');
        text.Append("# TYPE ").Append(name).Append(counter ? " counter\n" : histogram ? " histogram\n" : " gauge\n");
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            if (histogram)
            {
                long cumulative = 0;
                foreach (var bucket in point.GetHistogramBuckets())
                {
                    cumulative += bucket.BucketCount;
                    text.Append(name).Append("_bucket");
                    Labels(text, point, double.IsPositiveInfinity(bucket.ExplicitBound) ? "+Inf" : Number(bucket.ExplicitBound));
                    text.Append(' ').Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
                }

                text.Append(name).Append("_sum");
                Labels(text, point, null);
                text.Append(' ').Append(Number(point.GetHistogramSum())).Append('\n');
                text.Append(name).Append("_count");
                Labels(text, point, null);
                text.Append(' ').Append(point.GetHistogramCount().ToString(CultureInfo.InvariantCulture)).Append('\n');
                continue;
            }

            text.Append(name);
            Labels(text, point, null);
            text.Append(' ');
            text.Append(type switch
            {
                MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong().ToString(CultureInfo.InvariantCulture),
                MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => Number(point.GetSumDouble()),
                MetricType.LongGauge => point.GetGaugeLastValueLong().ToString(CultureInfo.InvariantCulture),
                _ => Number(point.GetGaugeLastValueDouble()),
            });
            text.Append('\n');
        }
    }

    /// <summary>The Prometheus name: meter prefix for Baton's instruments, unit suffix, <c>_total</c> for counters.</summary>
    public static string Name(Metric metric, bool counter)
    {
        var name = Sanitize(metric.MeterName == Baton.Hosting.Diagnostics.BatonMetrics.MeterName ? "baton." + metric.Name : metric.Name);
        var unit = metric.Unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            _ => null,
        };
        if (unit is not null && !name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            name += "_" + unit;
        }

        return counter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    private static void Labels(StringBuilder text, in MetricPoint point, string? le)
    {
        bool any = false;
        foreach (var tag in point.Tags)
        {
            text.Append(any ? ',' : '{');
            any = true;
            text.Append(Sanitize(tag.Key)).Append("=\"");
            Escape(text, Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "", help: false);
            text.Append('"');
        }

        if (le is not null)
        {
            text.Append(any ? ',' : '{').Append("le=\"").Append(le).Append('"');
            any = true;
        }

        if (any)
        {
            text.Append('}');
        }
    }

    private static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':') || (i == 0 && char.IsAsciiDigit(c)))
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    private static void Escape(StringBuilder text, string value, bool help)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '\n' => text.Append("\\n"),
                '"' when !help => text.Append("\\\""),
                _ => text.Append(c),
            };
        }
    }
}
