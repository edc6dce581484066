using System.Net;
using System.Text.Json;
using Baton.FunctionalTests.Infrastructure;
using Baton.FunctionalTests.Shutdown;
using Baton.FunctionalTests.Upgrade;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Baton.Testing;

namespace Baton.FunctionalTests.Lifecycle;

/// <summary>
/// Defect 16: the admin listener keeps answering through the drain, until the process exits, so
/// an operator can watch the drain (<c>/status</c>) and probes see readiness 503, not a refused
/// connection.
/// </summary>
[Collection(ShutdownCollection.Name)]
public sealed class AdminDuringDrainTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Sigterm_RequestInFlight_AdminAnswersStatusAndReadinessDuringTheDrain()
    {
        await using var held = await HeldUpstream.StartAsync();
        await using var host = await BatonTestHost.StartAsync(h => held.AddRouteTo(h));
        using var client = Clients.Http1(Timeout);
        var inFlight = client.GetAsync(new Uri(host.PublicUri, "held/1"));
        await held.WaitForArrivalsAsync(1, Timeout);

        Assert.True(host.Baton.Signal(Signals.SIGTERM));
        await host.Baton.WaitForEventAsync(BatonEventIds.DrainStarted, Timeout);
        // The public listener is closed now, the admin one still answers (a new connection each time).
        await host.Baton.WaitForEventAsync(BatonEventIds.ListenerClosed, Timeout, e => e.Get("Key") == "public");

        using (var admin = Clients.Http1(TimeSpan.FromSeconds(5)))
        {
            var ready = await admin.GetAsync(new Uri(host.AdminUri, "readyz"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var status = JsonDocument.Parse(await admin.GetStringAsync(new Uri(host.AdminUri, "status"))).RootElement;
            Assert.Equal("Draining", status.GetProperty("phase").GetString());
            Assert.Equal(1, status.GetProperty("inFlight").GetInt32());
        }

        held.Release();
        Assert.Equal(HttpStatusCode.OK, (await inFlight).StatusCode);
        Assert.Equal(ExitCodes.Success, await host.Baton.WaitForExitAsync(Timeout));
        Assert.NotNull(await ShutdownProbes.TryConnectAsync(host.AdminUri)); // gone with the process
    }
}
