using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Tls;

/// <summary>
/// TLS clients that record what the server presented: a bare handshake with a chosen server name
/// (SNI), and an HTTP client that sends a chosen server name to a loopback address and records
/// every connection it opens and the certificate each one saw.
/// </summary>
internal static class TlsClients
{
    /// <summary>Handshakes with <paramref name="address"/> sending <paramref name="serverName"/> as SNI (none when null); returns the certificate's SHA-256 thumbprint.</summary>
    public static async Task<string> HandshakeAsync(string address, string? serverName)
    {
        using var deadline = new CancellationTokenSource(BatonTestHost.Timeout);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPEndPoint.Parse(address), deadline.Token);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            // An empty target host sends no server_name extension, as a client connecting by IP does.
            TargetHost = serverName ?? "",
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        }, deadline.Token);
        return TestCertificates.Thumbprint(tls.RemoteCertificate!);
    }
}

/// <summary>An HTTP client whose requests for <c>https://{serverName}/</c> go to a loopback address; records each connection's certificate.</summary>
internal sealed class RecordingTlsClient : IDisposable
{
    private readonly HttpClient _client;
    private readonly string _serverName;
    private readonly int _port;
    private int _connects;

    public RecordingTlsClient(string address, string serverName, Version version)
    {
        var endPoint = IPEndPoint.Parse(address);
        _serverName = serverName;
        _port = endPoint.Port;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(endPoint, ct);
                Interlocked.Increment(ref _connects);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
        {
            Handshakes.Enqueue(TestCertificates.Thumbprint(cert!));
            return true;
        };
        _client = new HttpClient(handler)
        {
            Timeout = BatonTestHost.Timeout,
            DefaultRequestVersion = version,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    /// <summary>TCP connections opened so far.</summary>
    public int Connects => Volatile.Read(ref _connects);

    /// <summary>The certificate (SHA-256) of every handshake, in order.</summary>
    public ConcurrentQueue<string> Handshakes { get; } = new();

    public Task<HttpResponseMessage> GetAsync(string path) => _client.GetAsync(new Uri($"https://{_serverName}:{_port}{path}"));

    public void Dispose() => _client.Dispose();
}
