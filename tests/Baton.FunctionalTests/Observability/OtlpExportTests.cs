using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Observability;

/// <summary>With <c>Baton:Telemetry:OtlpEndpoint</c>, spans and metrics reach an OTLP/HTTP collector (a real Kestrel one here).</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task OtlpEndpoint_ReceivesTheRequestsSpanAndMetrics_AsProtobuf()
    {
        var received = new ConcurrentQueue<(string Path, string? ContentType, byte[] Body)>();
        await using var collector = await TestUpstream.StartAsync(async ctx =>
        {
            using var body = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(body);
            received.Enqueue((ctx.Request.Path.Value!, ctx.Request.ContentType, body.ToArray()));
            ctx.Response.StatusCode = 200;
        });
        await using var host = await BatonTestHost.StartAsync(h => ((JsonObject)h.Config["Baton"]!)["Telemetry"] = new JsonObject
        {
            ["OtlpEndpoint"] = collector.Url.TrimEnd('/'),
            ["MetricsExportInterval"] = "00:00:01",
            ["ServiceName"] = "baton-otlp-test",
        });
        var exporting = await host.Baton.WaitForEventAsync(BatonEventIds.TelemetryExporting, BatonTestHost.Timeout);
        Assert.Equal("http/protobuf", exporting.Get("Protocol"));
        using var client = Clients.Http1();
        var request = new HttpRequestMessage(HttpMethod.Get, host.PublicUri);
        request.Headers.Add("traceparent", "00-5a1e0f0c2b3d4e5f60718293a4b5c6d7-1122334455667788-01");
        (await client.SendAsync(request)).EnsureSuccessStatusCode();

        var traceId = Convert.FromHexString("5a1e0f0c2b3d4e5f60718293a4b5c6d7");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!(received.Any(r => r.Path == "/v1/traces" && Contains(r.Body, traceId)) && received.Any(r => r.Path == "/v1/metrics")))
        {
            Assert.True(DateTime.UtcNow < deadline, $"collector got: {string.Join(", ", received.Select(r => $"{r.Path} {r.Body.Length} B"))}");
            await Task.Delay(100);
        }

        Assert.All(received, r => Assert.Equal("application/x-protobuf", r.ContentType));
        var metrics = received.First(r => r.Path == "/v1/metrics").Body;
        Assert.True(Contains(metrics, "baton-otlp-test"u8.ToArray()), "service.name in the resource");
        Assert.True(received.Where(r => r.Path == "/v1/metrics").Any(r => Contains(r.Body, "http.server.request.duration"u8.ToArray())), "ASP.NET Core's request duration exported");
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
