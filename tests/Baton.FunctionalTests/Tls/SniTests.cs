using System.Net;
using System.Security.Authentication;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Tls;

/// <summary>Several certificates on one listener, chosen by the client's server name (SNI); one log line per certificate with subject and expiry; the expiry warning.</summary>
public class SniTests
{
    [Fact]
    public async Task TwoCertificates_EachServerNameGetsItsOwn_WildcardsAndTheDefaultCoverTheRest()
    {
        string api = "", www = "", wildcard = "", fallback = "";
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            var dir = h.Work.FullName;
            api = TestCertificates.WritePem(dir, "api.pem", "api.key", "CN=api.example.test", ["api.example.test"]);
            www = TestCertificates.WritePem(dir, "www.pem", "www.key", "CN=www.example.test", ["www.example.test"]);
            wildcard = TestCertificates.WritePem(dir, "wild.pem", "wild.key", "CN=*.apps.example.test", ["*.apps.example.test"]);
            fallback = TestCertificates.WritePem(dir, "default.pem", "default.key", "CN=default");
            h.Listeners["secure"] = new JsonObject
            {
                ["Address"] = "127.0.0.1:0",
                ["Certificate"] = new JsonObject { ["Path"] = "default.pem", ["KeyPath"] = "default.key" },
                ["Sni"] = new JsonObject
                {
                    ["api.example.test"] = Entry("api"),
                    ["WWW.example.test"] = Entry("www"),
                    ["*.apps.example.test"] = Entry("wild"),
                },
            };
        });
        var secure = host.Address("secure");

        Assert.Equal(api, await TlsClients.HandshakeAsync(secure, "api.example.test"));
        Assert.Equal(www, await TlsClients.HandshakeAsync(secure, "www.example.test"));
        Assert.Equal(wildcard, await TlsClients.HandshakeAsync(secure, "shop.apps.example.test"));
        Assert.Equal(wildcard, await TlsClients.HandshakeAsync(secure, "a.b.apps.example.test"));
        Assert.Equal(fallback, await TlsClients.HandshakeAsync(secure, "apps.example.test"));
        Assert.Equal(fallback, await TlsClients.HandshakeAsync(secure, "other.test"));
        Assert.Equal(fallback, await TlsClients.HandshakeAsync(secure, null));

        // Requests are served on each, HTTP/2 by ALPN included.
        using var client = new RecordingTlsClient(secure, "api.example.test", HttpVersion.Version20);
        var response = await client.GetAsync("/whoami");
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("upstream-a", await response.Content.ReadAsStringAsync());
        Assert.Equal([api], client.Handshakes);

        // One line per certificate, with what it is for, its subject and its expiry.
        var lines = host.Baton.Events.Where(e => e.EventId == BatonEventIds.CertificateLoaded).ToList();
        Assert.Equal(4, lines.Count);
        var apiLine = Assert.Single(lines, e => e.Get("Thumbprint") == api);
        Assert.Equal("secure:api.example.test", apiLine.Get("Uses"));
        Assert.Equal("CN=api.example.test", apiLine.Get("Subject"));
        var notAfter = DateTimeOffset.Parse(apiLine.Get("NotAfter")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(notAfter, DateTimeOffset.UtcNow.AddDays(89), DateTimeOffset.UtcNow.AddDays(91));
        Assert.Equal("secure", Assert.Single(lines, e => e.Get("Thumbprint") == fallback).Get("Uses"));
        Assert.DoesNotContain(host.Baton.Events, e => e.EventId == BatonEventIds.CertificateExpiresSoon);
    }

    [Fact]
    public async Task SniWithoutADefault_RefusesTheHandshakeForAnUnknownName()
    {
        string api = "";
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            api = TestCertificates.WritePem(h.Work.FullName, "api.pem", "api.key", "CN=api.example.test", ["api.example.test"]);
            h.Listeners["secure"] = new JsonObject { ["Address"] = "127.0.0.1:0", ["Sni"] = new JsonObject { ["api.example.test"] = Entry("api") } };
        });

        Assert.Equal(api, await TlsClients.HandshakeAsync(host.Address("secure"), "api.example.test"));
        await Assert.ThrowsAnyAsync<Exception>(() => TlsClients.HandshakeAsync(host.Address("secure"), "unknown.example.test"));
        Assert.Equal(api, await TlsClients.HandshakeAsync(host.Address("secure"), "api.example.test"));
    }

    [Fact]
    public async Task CertificateExpiringWithinFourteenDays_IsWarnedAboutAtStart()
    {
        string soon = "";
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            soon = TestCertificates.WritePem(h.Work.FullName, subject: "CN=renew-me", validFor: TimeSpan.FromDays(3));
            h.Listeners["secure"] = CertificateReloadTests.Secure();
        });

        var warning = await host.Baton.WaitForEventAsync(BatonEventIds.CertificateExpiresSoon, BatonTestHost.Timeout);
        Assert.Equal("Warning", warning.Level);
        Assert.Equal("CN=renew-me", warning.Get("Subject"));
        Assert.InRange(double.Parse(warning.Get("DaysLeft")!, System.Globalization.CultureInfo.InvariantCulture), 2.9, 3.0);
        Assert.Equal(soon, await TlsClients.HandshakeAsync(host.Address("secure"), "localhost"));
    }

    private static JsonObject Entry(string name) => new()
    {
        ["Certificate"] = new JsonObject { ["Path"] = $"{name}.pem", ["KeyPath"] = $"{name}.key" },
    };
}
