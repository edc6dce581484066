using System.Net;
using System.Text;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Health;

/// <summary>
/// Issue 11, defect 8: a web page open in a browser on the host can reach the loopback admin
/// listener. Cross-site requests, a non-loopback Host (DNS rebinding) and state-changing calls a
/// browser could send without a preflight are refused with 403; Baton's own clients still work.
/// </summary>
public class AdminRequestGuardTests
{
    [Fact]
    public async Task CrossSitePost_IsRefused_AndReadinessStays()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();

        // Exactly what a page on attacker.example (resolved to 127.0.0.1) can send with fetch(): a simple request.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.AdminUri, "healthcheck/fail"))
        {
            Content = new StringContent("x", Encoding.UTF8, "text/plain"),
        };
        request.Headers.Host = "attacker.example";
        request.Headers.Add("Origin", "http://attacker.example");
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(host.AdminUri, "readyz"))).StatusCode);
        await host.Baton.WaitForEventAsync(BatonEventIds.AdminRequestRefused, BatonTestHost.Timeout);
    }

    [Fact]
    public async Task EachBrowserSignal_IsRefusedAlone_AndToolRequestsPass()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();
        var admin = host.AdminUri;
        string own = admin.Authority;

        // Each case is valid but for one thing (X-Baton-Admin present unless the case is about it).
        var refused = new (string Why, Action<HttpRequestMessage> Set)[]
        {
            ("DNS rebinding: Host attacker.example", r => { r.Headers.Host = "attacker.example"; Tool(r); }),
            ("Host of a LAN address", r => { r.Headers.Host = "192.168.1.10:9901"; Tool(r); }),
            ("cross-site Origin", r => { r.Headers.Add("Origin", "http://attacker.example"); Tool(r); }),
            ("Origin null (sandboxed frame, file://)", r => { r.Headers.Add("Origin", "null"); Tool(r); }),
            ("Sec-Fetch-Site: cross-site", r => { r.Headers.Add("Sec-Fetch-Site", "cross-site"); Tool(r); }),
            ("Sec-Fetch-Site: same-site", r => { r.Headers.Add("Sec-Fetch-Site", "same-site"); Tool(r); }),
            ("POST without the header or a body", _ => { }),
            ("POST text/plain", r => r.Content = new StringContent("x", Encoding.UTF8, "text/plain")),
            ("POST form", r => r.Content = new FormUrlEncodedContent([new("a", "b")])),
        };
        foreach (var (why, set) in refused)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(admin, "healthcheck/fail"));
            set(request);
            var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{why}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(admin, "readyz"))).StatusCode);

        var allowed = new (string Why, Action<HttpRequestMessage> Set)[]
        {
            ("X-Baton-Admin", Tool),
            ("a JSON body instead of the header", r => r.Content = new StringContent("{}", Encoding.UTF8, "application/json")),
            ("Host localhost", r => { r.Headers.Host = $"localhost:{admin.Port}"; Tool(r); }),
            ("the listener's own Origin", r => { r.Headers.Add("Origin", $"http://{own}"); Tool(r); }),
            ("Sec-Fetch-Site: same-origin", r => { r.Headers.Add("Sec-Fetch-Site", "same-origin"); Tool(r); }),
            ("Sec-Fetch-Site: none (typed in the address bar)", r => { r.Headers.Add("Sec-Fetch-Site", "none"); Tool(r); }),
        };
        foreach (var (why, set) in allowed)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(admin, "healthcheck/ok"));
            set(request);
            var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{why}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // A GET needs no header: probes and `curl /status` stay as they were; a rebinding Host is still refused.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(admin, "status"))).StatusCode);
        using var rebound = new HttpRequestMessage(HttpMethod.Get, new Uri(admin, "status"));
        rebound.Headers.Host = "attacker.example";
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(rebound)).StatusCode);
    }

    [Fact]
    public async Task BatonCli_StatusAndPrestop_PassTheGuard()
    {
        await using var host = await BatonTestHost.StartAsync();
        var address = host.Address("@admin");

        var status = await BatonCli.RunAsync(["status", "--admin", address]);
        Assert.True(status.ExitCode == 0, status.ToString());

        var preStop = await BatonCli.RunAsync(["prestop", "--admin", address]);
        Assert.True(preStop.ExitCode == 0, preStop.ToString());
        Assert.Equal("prestop", (await host.Baton.WaitForEventAsync(BatonEventIds.ReadinessWithdrawn, BatonTestHost.Timeout)).Get("Source"));
    }

    private static void Tool(HttpRequestMessage request) => request.Headers.Add("X-Baton-Admin", "1");
}
