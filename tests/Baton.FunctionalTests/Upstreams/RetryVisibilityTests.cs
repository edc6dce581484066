using System.Net;
using Baton.FunctionalTests.Infrastructure;
using Baton.FunctionalTests.Observability;

namespace Baton.FunctionalTests.Upstreams;

/// <summary>Every retry is counted on /metrics and shown in the access log (tries, destinations).</summary>
public class RetryVisibilityTests
{
    [Fact]
    public async Task RequestRetriedPastADeadDestination_ShowsInTheAccessLogAndMetrics()
    {
        int dead = FreePorts.Reserve();
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            h.AccessLog["Enabled"] = true;
            // YARP's FirstAlphabetical: every request meets "a-dead" first.
            UpstreamRig.Destinations(h, ("a-dead", $"http://127.0.0.1:{dead}/"), ("b-alive", h.Upstreams[0].Url));
            UpstreamRig.Cluster(h)["LoadBalancingPolicy"] = "FirstAlphabetical";
        });
        using var client = Clients.Http1();

        using var response = await client.GetAsync(host.PublicUri);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = Assert.Single(await AccessLines.WaitAsync(host.Baton, 1));
        Assert.Equal("200", line.Text("status"));
        Assert.Equal("1", line.Text("retries"));
        Assert.Equal("a-dead,b-alive", line.Text("tried"));
        Assert.Equal("b-alive", line.Text("destination"));

        var metrics = PrometheusExposition.Parse(await client.GetStringAsync(new Uri(host.AdminUri, "metrics")));
        Assert.Equal(1, metrics.Samples("baton_upstream_retries_total", ("cluster", "app"), ("failure", "connect_failure")).Sum());
        Assert.Equal(1, metrics.Samples("baton_upstream_ejections_total", ("cluster", "app"), ("reason", "connect_failure")).Sum());
    }
}
