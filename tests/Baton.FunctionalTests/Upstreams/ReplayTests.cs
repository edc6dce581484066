using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Upstreams;

/// <summary>Partial-request replay: an upload a draining app could not finish goes to another instance, byte for byte.</summary>
public class ReplayTests
{
    private const int Chunk = 32 * 1024;
    private const int Chunks = 48;

    [Fact]
    public async Task UploadStillArrivingAtTheAppsDrainDeadline_IsHandedBackAndArrivesWholeAtTheOtherInstance()
    {
        await using var a = await SampleApp.StartAsync("a", "--h2c", "--grace", "00:00:00", "--drain", "00:00:01");
        await using var b = await SampleApp.StartAsync("b", "--h2c", "--grace", "00:00:00", "--drain", "00:00:01");
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            UpstreamRig.Destinations(h, ("a", a.Url), ("b", b.Url));
            UpstreamRig.Cluster(h)["HttpRequest"] = new JsonObject { ["Version"] = "2", ["VersionPolicy"] = "RequestVersionExact" };
        }, upstreams: 0);

        var payload = new byte[Chunk * Chunks];
        Random.Shared.NextBytes(payload);
        var expected = Convert.ToHexString(SHA256.HashData(payload));
        using var client = Clients.Http1();
        var content = new GatedUpload(payload, Chunk * Chunks / 2);
        var send = client.PostAsync(new Uri(host.PublicUri, "upload"), content);

        // The app that got the upload drains while the second half is held back; its deadline hands
        // the first half back; only then does the client send the rest.
        await RollingRestartTests.WaitAsync(() => a.Printed("Upload started") || b.Printed("Upload started"));
        var (first, second) = a.Printed("Upload started") ? (a, b) : (b, a);
        var stopped = first.StopAsync();
        var replayed = host.Baton.WaitForEventAsync(BatonEventIds.RequestReplayed, BatonTestHost.Timeout);
        if (await Task.WhenAny(replayed, send) != replayed || replayed.IsFaulted)
        {
            var early = send.IsCompletedSuccessfully ? await send : null;
            Assert.Fail($"no replay ({(early is null ? "no response" : $"response {(int)early.StatusCode} {await early.Content.ReadAsStringAsync()}")}); " +
                $"{first.Name}: {string.Join("\n", first.Output.TakeLast(15))}\nbaton: {string.Join("\n", host.Baton.Output.TakeLast(10))}");
        }

        content.Release();

        using var response = await send;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}\n{string.Join("\n", host.Baton.Output.TakeLast(20))}");
        Assert.Equal($"{second.Name} {payload.Length} {expected}", body.Trim());
        Assert.Equal(0, await stopped);
        var replay = Assert.Single(host.Baton.Events, e => e.EventId == BatonEventIds.RequestReplayed);
        Assert.Equal(first.Name, replay.Get("Destination"));
        Assert.True(int.Parse(replay.Get("Returned")!) > 0, replay.Message);
    }

}

/// <summary>An HTTP/2 destination's shutdown GOAWAY takes it out of rotation at once.</summary>
public class GoAwayTests
{
    [Fact]
    public async Task DestinationAnnouncingShutdownWithGoAway_IsEjected()
    {
        await using var a = await SampleApp.StartAsync("a", "--h2c", "--grace", "00:00:00", "--drain", "00:00:20");
        await using var b = await SampleApp.StartAsync("b", "--h2c", "--grace", "00:00:00", "--drain", "00:00:20");
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            UpstreamRig.Destinations(h, ("a", a.Url), ("b", b.Url));
            UpstreamRig.Cluster(h)["HttpRequest"] = new JsonObject { ["Version"] = "2", ["VersionPolicy"] = "RequestVersionExact" };
        }, upstreams: 0);

        // An upload held half-sent keeps one connection busy while its server shuts down (no response, so no drain marker).
        var payload = new byte[64 * 1024];
        using var client = Clients.Http1();
        var content = new GatedUpload(payload, payload.Length / 2);
        var send = client.PostAsync(new Uri(host.PublicUri, "upload"), content);
        await RollingRestartTests.WaitAsync(() => a.Printed("Upload started") || b.Printed("Upload started"));
        var (first, _) = a.Printed("Upload started") ? (a, b) : (b, a);
        var stopped = first.StopAsync();

        var ejected = await host.Baton.WaitForEventAsync(BatonEventIds.DestinationEjected, BatonTestHost.Timeout);
        Assert.Equal(first.Name, ejected.Get("Destination"));
        Assert.Contains("GOAWAY", ejected.Get("Reason"));

        content.Release();
        using var response = await send;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, await stopped);
    }

}
