using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Observability;

/// <summary>W3C trace context reaches the upstream (continued or started), X-Request-Id is passed or generated, and both reach the access log.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task Traceparent_IsContinuedToTheUpstream_OrStartedWhenAbsent_AndRequestIdPassedOrGenerated()
    {
        await using var echo = await TestUpstream.StartHeaderEchoAsync();
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            h.AccessLog["Enabled"] = true;
            h.Config["ReverseProxy"]!["Clusters"]!["app"]!["Destinations"] = new JsonObject { ["echo"] = new JsonObject { ["Address"] = echo.Url } };
        });
        using var client = Clients.Http1();

        var continued = new HttpRequestMessage(HttpMethod.Get, host.PublicUri);
        continued.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        continued.Headers.Add("X-Request-Id", "from-the-client");
        var seen = await (await client.SendAsync(continued)).Content.ReadFromJsonAsync<Dictionary<string, string>>();
        var parts = seen!["traceparent"].Split('-');
        Assert.Equal(4, parts.Length);
        Assert.Equal("00", parts[0]);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", parts[1]);
        Assert.NotEqual("00f067aa0ba902b7", parts[2]); // Baton's own span is the upstream's parent
        Assert.Matches("^[0-9a-f]{16}$", parts[2]);
        Assert.Equal("from-the-client", seen["x-request-id"]);

        var started = await client.GetFromJsonAsync<Dictionary<string, string>>(host.PublicUri);
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", started!["traceparent"]);
        var traceId = started["traceparent"].Split('-')[1];
        Assert.NotEqual("00000000000000000000000000000000", traceId);
        Assert.Equal(traceId, started["x-request-id"]);

        var lines = await AccessLines.WaitAsync(host.Baton, 2);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", lines[0].Text("trace_id"));
        Assert.Equal("from-the-client", lines[0].Text("request_id"));
        Assert.Equal(traceId, lines[1].Text("trace_id"));
        Assert.Equal(traceId, lines[1].Text("request_id"));
    }
}
