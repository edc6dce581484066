using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Proxy;

/// <summary>Each kind of listener Baton serves: h2c, HTTPS (HTTP/1.1 and HTTP/2 by ALPN), WebSockets.</summary>
public class ListenerProtocolTests
{
    [Fact]
    public async Task H2cListener_ServesHttp2WithPriorKnowledge()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.H2c();

        var response = await client.GetAsync(new Uri(host.H2cUri, "whoami"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("upstream-a", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task H2cListener_EchoesAPostBody()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.H2c();
        var body = RandomNumberGenerator.GetBytes(1024 * 1024);

        var response = await client.PostAsync(new Uri(host.H2cUri, "echo"), new ByteArrayContent(body));

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task HttpsListener_WithATestCertificate_ServesHttp11AndHttp2ByAlpn()
    {
        string thumbprint = "";
        await using var host = await BatonTestHost.StartAsync(h =>
        {
            thumbprint = TestCertificates.WritePem(h.Work.FullName);
            h.Listeners["secure"] = new JsonObject
            {
                ["Address"] = "127.0.0.1:0",
                ["Protocols"] = "Http1AndHttp2",
                ["Certificate"] = new JsonObject { ["Path"] = "cert.pem", ["KeyPath"] = "key.pem" },
            };
        });
        var secure = new Uri($"https://{host.Address("secure")}/");

        using (var http1 = TestCertificates.PinnedClient(thumbprint, HttpVersion.Version11))
        {
            var response = await http1.GetAsync(new Uri(secure, "whoami"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(HttpVersion.Version11, response.Version);
            Assert.Equal("upstream-a", await response.Content.ReadAsStringAsync());
        }

        using (var h2 = TestCertificates.PinnedClient(thumbprint, HttpVersion.Version20))
        {
            var body = RandomNumberGenerator.GetBytes(64 * 1024);
            var response = await h2.PostAsync(new Uri(secure, "echo"), new ByteArrayContent(body));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(HttpVersion.Version20, response.Version);
            Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        }

        // The pin is real: a client expecting another certificate refuses this one.
        using var wrong = TestCertificates.PinnedClient(new string('0', 64), HttpVersion.Version11);
        await Assert.ThrowsAsync<HttpRequestException>(() => wrong.GetAsync(secure));
    }

    [Fact]
    public async Task WebSocket_EchoesTextAndBinaryThroughTheProxy()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var ws = new ClientWebSocket();
        using var deadline = new CancellationTokenSource(BatonTestHost.Timeout);
        await ws.ConnectAsync(new Uri($"ws://{host.Address("public")}/ws"), deadline.Token);

        await ws.SendAsync(Encoding.UTF8.GetBytes("hello through baton"), WebSocketMessageType.Text, true, deadline.Token);
        var (type, text) = await ReceiveAsync(ws, deadline.Token);
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal("hello through baton", Encoding.UTF8.GetString(text));

        var binary = RandomNumberGenerator.GetBytes(100_000);
        await ws.SendAsync(binary, WebSocketMessageType.Binary, true, deadline.Token);
        var (binaryType, echoed) = await ReceiveAsync(ws, deadline.Token);
        Assert.Equal(WebSocketMessageType.Binary, binaryType);
        Assert.Equal(binary, echoed);

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", deadline.Token);
        Assert.Equal(WebSocketState.Closed, ws.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(ClientWebSocket ws, CancellationToken ct)
    {
        using var message = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, ct);
            message.Write(buffer, 0, r.Count);
            if (r.EndOfMessage)
            {
                return (r.MessageType, message.ToArray());
            }
        }
    }
}
