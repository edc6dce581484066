using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Health;

public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_OnTheAdminListener_ReportPhaseReadinessAndServedRequests()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();
        for (int i = 0; i < 3; i++)
        {
            (await client.GetAsync(host.PublicUri)).EnsureSuccessStatusCode();
        }

        var text = await client.GetStringAsync(new Uri(host.AdminUri, "metrics"));
        Assert.Contains("baton_lifecycle_phase 1", text);
        Assert.Contains("baton_ready 1", text);
        Assert.Contains("baton_generation 1", text);
        Assert.Contains("# TYPE baton_requests_served_total counter", text);
        var served = text.Split('\n').Single(l => l.StartsWith("baton_requests_served_total ", StringComparison.Ordinal));
        Assert.True(double.Parse(served.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) >= 3, served);

        // Never on the public listener: there it is proxied (the upstream has no /metrics).
        var proxied = await client.GetAsync(new Uri(host.PublicUri, "metrics"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, proxied.StatusCode);
    }
}
