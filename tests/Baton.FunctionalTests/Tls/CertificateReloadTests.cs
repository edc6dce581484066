using System.Net;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Baton.FunctionalTests.Upgrade;
using Baton.Hosting.Diagnostics;

namespace Baton.FunctionalTests.Tls;

/// <summary>
/// Certificates reload from disk with no upgrade: the next handshake gets the new certificate,
/// connections already open — with a request in flight — keep theirs and keep serving; a broken
/// replacement is refused and the current certificate stays.
/// </summary>
public class CertificateReloadTests
{
    [Fact]
    public async Task CertificateReplacedOnDisk_NextHandshakeSeesTheNewOne_OpenConnectionKeepsServing()
    {
        await using var held = await HeldUpstream.StartAsync();
        string first = "";
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            first = TestCertificates.WritePem(h.Work.FullName, subject: "CN=first");
            h.Listeners["secure"] = Secure();
            held.AddRouteTo(h);
        });
        var loaded = await host.Baton.WaitForEventAsync(BatonEventIds.CertificateLoaded, BatonTestHost.Timeout);
        Assert.Equal(first, loaded.Get("Thumbprint"));
        Assert.Equal("CN=first", loaded.Get("Subject"));

        // An HTTP/2 connection with a request in flight at the upstream when the files change.
        using var open = new RecordingTlsClient(host.Address("secure"), "localhost", HttpVersion.Version20);
        Assert.Equal(HttpStatusCode.OK, (await open.GetAsync("/whoami")).StatusCode);
        var inFlight = open.GetAsync("/held/across-the-reload");
        await held.WaitForArrivalsAsync(1, BatonTestHost.Timeout);

        // Renewal as certbot or a deploy does it: new files renamed over the old ones.
        var second = TestCertificates.WritePem(host.Work.FullName, "next-cert.pem", "next-key.pem", subject: "CN=second");
        File.Move(Path.Combine(host.Work.FullName, "next-key.pem"), Path.Combine(host.Work.FullName, "key.pem"), overwrite: true);
        File.Move(Path.Combine(host.Work.FullName, "next-cert.pem"), Path.Combine(host.Work.FullName, "cert.pem"), overwrite: true);
        var reloaded = await host.Baton.WaitForEventAsync(BatonEventIds.CertificateLoaded, BatonTestHost.Timeout, e => e.Get("Thumbprint") == second);
        Assert.Equal("file change", reloaded.Get("Source"));
        Assert.Equal("CN=second", reloaded.Get("Subject"));

        Assert.Equal(second, await TlsClients.HandshakeAsync(host.Address("secure"), "localhost"));
        using (var fresh = new RecordingTlsClient(host.Address("secure"), "localhost", HttpVersion.Version11))
        {
            Assert.Equal("upstream-a", await (await fresh.GetAsync("/whoami")).Content.ReadAsStringAsync());
            Assert.Equal([second], fresh.Handshakes);
        }

        // The connection opened before the change still serves, on the certificate it negotiated.
        Assert.Equal("upstream-a", await (await open.GetAsync("/whoami")).Content.ReadAsStringAsync());
        held.Release();
        var released = await inFlight;
        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.Equal("released\n", await released.Content.ReadAsStringAsync());
        Assert.Equal(1, open.Connects);
        Assert.Equal([first], open.Handshakes);
    }

    [Fact]
    public async Task BrokenReplacement_IsRefused_TheCurrentCertificateStays()
    {
        string first = "";
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            first = TestCertificates.WritePem(h.Work.FullName);
            h.Listeners["secure"] = Secure();
        });

        File.WriteAllText(Path.Combine(host.Work.FullName, "cert.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        var failed = await host.Baton.WaitForEventAsync(BatonEventIds.CertificateReloadFailed, BatonTestHost.Timeout);
        Assert.Equal(first, failed.Get("Thumbprint"));
        Assert.Contains("cert.pem", failed.Get("Error"));

        Assert.Equal(first, await TlsClients.HandshakeAsync(host.Address("secure"), "localhost"));

        // Fixing the files applies the fix.
        var fixedOne = TestCertificates.WritePem(host.Work.FullName);
        await host.Baton.WaitForEventAsync(BatonEventIds.CertificateLoaded, BatonTestHost.Timeout, e => e.Get("Thumbprint") == fixedOne);
        Assert.Equal(fixedOne, await TlsClients.HandshakeAsync(host.Address("secure"), "localhost"));
    }

    [Fact]
    public async Task CertificateSwappedBySymlink_AsKubernetesSecretsAre_IsReloaded()
    {
        string first = "";
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            // A Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..v1; an update points ..data at ..v2.
            var v1 = Directory.CreateDirectory(Path.Combine(h.Work.FullName, "tls", "..v1")).FullName;
            first = TestCertificates.WritePem(v1, "tls.crt", "tls.key");
            File.CreateSymbolicLink(Path.Combine(h.Work.FullName, "tls", "..data"), "..v1");
            File.CreateSymbolicLink(Path.Combine(h.Work.FullName, "tls", "tls.crt"), "..data/tls.crt");
            File.CreateSymbolicLink(Path.Combine(h.Work.FullName, "tls", "tls.key"), "..data/tls.key");
            h.Listeners["secure"] = Secure("tls/tls.crt", "tls/tls.key");
        });
        Assert.Equal(first, await TlsClients.HandshakeAsync(host.Address("secure"), "localhost"));

        var tls = Path.Combine(host.Work.FullName, "tls");
        var second = TestCertificates.WritePem(Directory.CreateDirectory(Path.Combine(tls, "..v2")).FullName, "tls.crt", "tls.key");
        File.CreateSymbolicLink(Path.Combine(tls, "..data_tmp"), "..v2");
        await RenameAsync(Path.Combine(tls, "..data_tmp"), Path.Combine(tls, "..data"));

        await host.Baton.WaitForEventAsync(BatonEventIds.CertificateLoaded, BatonTestHost.Timeout, e => e.Get("Thumbprint") == second);
        Assert.Equal(second, await TlsClients.HandshakeAsync(host.Address("secure"), "localhost"));
    }

    /// <summary>rename(2) of a symlink over another, as Kubernetes' atomic writer swaps <c>..data</c> (File.Move follows the link to the directory).</summary>
    private static async Task RenameAsync(string from, string to)
    {
        using var mv = System.Diagnostics.Process.Start("mv", ["-T", from, to]);
        await mv.WaitForExitAsync().WaitAsync(BatonTestHost.Timeout);
        Assert.Equal(0, mv.ExitCode);
    }

    internal static JsonObject Secure(string cert = "cert.pem", string key = "key.pem") => new()
    {
        ["Address"] = "127.0.0.1:0",
        ["Protocols"] = "Http1AndHttp2",
        ["Certificate"] = new JsonObject { ["Path"] = cert, ["KeyPath"] = key },
    };
}
