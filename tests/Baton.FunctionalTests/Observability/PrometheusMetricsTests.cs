using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Observability;

/// <summary>/metrics parsed as Prometheus text: types declared, counters end in _total, a request-duration histogram per YARP route.</summary>
public sealed class PrometheusMetricsTests
{
    [Fact]
    public async Task Metrics_AreValidPrometheusText_WithCountersHistogramsPerRouteAndUpstreamHealth()
    {
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            var proxy = h.Config["ReverseProxy"]!;
            proxy["Routes"]!["slow"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Path"] = "/slow" } };
            AccessLogTests.AddDeadRoute(h);
        });
        using var client = Clients.Http1();
        for (int i = 0; i < 3; i++)
        {
            (await client.GetAsync(host.PublicUri)).EnsureSuccessStatusCode();
        }

        (await client.GetAsync(new Uri(host.PublicUri, "/slow?ms=1"))).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.BadGateway, (await client.GetAsync(new Uri(host.PublicUri, "/down/x"))).StatusCode);

        var response = await client.GetAsync(new Uri(host.AdminUri, "metrics"));
        Assert.StartsWith("text/plain; version=0.0.4", response.Content.Headers.ContentType!.ToString());
        var metrics = PrometheusExposition.Parse(await response.Content.ReadAsStringAsync());

        // Every family has a type; counters end in _total; no adapter type names in HELP.
        Assert.All(metrics.Types, t => Assert.True(t.Value is "counter" or "gauge" or "histogram", $"{t.Key} {t.Value}"));
        Assert.All(metrics.Types.Where(t => t.Value == "counter"), t => Assert.EndsWith("_total", t.Key));
        Assert.DoesNotContain(metrics.Help.Values, h => h.Contains("Observable", StringComparison.Ordinal));
        Assert.Equal("counter", metrics.Types["baton_requests_served_total"]);
        Assert.True(metrics.Value("baton_requests_served_total") >= 5);
        Assert.Equal("gauge", metrics.Types["baton_ready"]);
        Assert.Equal(1, metrics.Value("baton_ready"));

        // ASP.NET Core's request duration, per YARP route, cluster, destination and status class.
        const string duration = "http_server_request_duration_seconds";
        Assert.Equal("histogram", metrics.Types[duration]);
        var all = metrics.Samples(duration + "_count", ("route", "all"), ("cluster", "app"), ("destination", "upstream-a"), ("status_class", "2xx")).Sum();
        Assert.Equal(3, all);
        Assert.Equal(1, metrics.Samples(duration + "_count", ("route", "slow")).Sum());
        Assert.Equal(1, metrics.Samples(duration + "_count", ("route", "down"), ("status_class", "5xx"), ("http_response_status_code", "502")).Sum());
        var buckets = metrics.Lines.Where(l => l.Name == duration + "_bucket" && l.Label("route") == "all").ToList();
        Assert.True(buckets.Count > 5, "buckets");
        Assert.Equal(3, buckets.Single(b => b.Label("le") == "+Inf").Value);
        Assert.True(buckets.Select(b => b.Value).SequenceEqual(buckets.Select(b => b.Value).Order()), "buckets are cumulative");

        // Kestrel, the upstream HTTP client and upstream health.
        Assert.Contains("kestrel_active_connections", metrics.Types.Keys);
        Assert.Equal("histogram", metrics.Types["http_client_request_duration_seconds"]);
        Assert.Equal(1, metrics.Samples("baton_upstream_destination_healthy", ("cluster", "app"), ("destination", "upstream-a")).Single());
        Assert.Equal(1, metrics.Samples("baton_upstream_destinations_available", ("cluster", "app")).Single());
    }
}

/// <summary>A small parser of the Prometheus text format (0.0.4) for tests: fails on a line it cannot read.</summary>
internal sealed class PrometheusExposition
{
    public Dictionary<string, string> Types { get; } = new();

    public Dictionary<string, string> Help { get; } = new();

    public List<Sample> Lines { get; } = new();

    public static PrometheusExposition Parse(string text)
    {
        var result = new PrometheusExposition();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.True(result.Types.TryAdd(parts[2], parts[3]), $"TYPE declared twice: {line}");
                continue;
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var rest = line["# HELP ".Length..];
                var space = rest.IndexOf(' ');
                result.Help[rest[..space]] = rest[(space + 1)..];
                continue;
            }

            Assert.False(line.StartsWith('#'), line);
            result.Lines.Add(Sample.Parse(line));
        }

        foreach (var sample in result.Lines)
        {
            var family = result.Types.ContainsKey(sample.Name) ? sample.Name
                : new[] { "_bucket", "_sum", "_count" }.Where(s => sample.Name.EndsWith(s, StringComparison.Ordinal)).Select(s => sample.Name[..^s.Length]).FirstOrDefault(result.Types.ContainsKey);
            Assert.True(family is not null, $"sample without a TYPE: {sample.Name}");
        }

        return result;
    }

    public double Value(string name) => Lines.Single(l => l.Name == name).Value;

    public IEnumerable<double> Samples(string name, params (string Key, string Value)[] labels)
        => Lines.Where(l => l.Name == name && labels.All(x => l.Label(x.Key) == x.Value)).Select(l => l.Value);

    public sealed record Sample(string Name, Dictionary<string, string> Labels, double Value)
    {
        public string? Label(string key) => Labels.TryGetValue(key, out var v) ? v : null;

        public static Sample Parse(string line)
        {
            int i = 0;
            while (i < line.Length && line[i] != '{' && line[i] != ' ')
            {
                i++;
            }

            var name = line[..i];
            Assert.Matches("^[a-zA-Z_:][a-zA-Z0-9_:]*$", name);
            var labels = new Dictionary<string, string>();
            if (line[i] == '{')
            {
                i++;
                while (line[i] != '}')
                {
                    int eq = line.IndexOf('=', i);
                    var key = line[i..eq];
                    Assert.Matches("^[a-zA-Z_][a-zA-Z0-9_]*$", key);
                    Assert.Equal('"', line[eq + 1]);
                    var value = new System.Text.StringBuilder();
                    int j = eq + 2;
                    for (; line[j] != '"'; j++)
                    {
                        if (line[j] == '\\')
                        {
                            j++;
                            value.Append(line[j] == 'n' ? '\n' : line[j]);
                        }
                        else
                        {
                            value.Append(line[j]);
                        }
                    }

                    labels[key] = value.ToString();
                    i = j + 1;
                    if (line[i] == ',')
                    {
                        i++;
                    }
                }

                i++;
            }

            Assert.Equal(' ', line[i]);
            var text = line[(i + 1)..];
            var number = text switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            return new Sample(name, labels, number);
        }
    }
}
