using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Baton.Testing;

/// <summary>
/// Concurrent clients against Baton on loopback. Every request is recorded against the phase that
/// was current when it started. A refused connection after the listeners closed is counted as
/// refused (never accepted), not as lost.
/// </summary>
public sealed class LoadGenerator : IAsyncDisposable
{
    private readonly Uri _baseUri;
    private readonly Uri _h2cUri;
    private readonly List<Task> _workers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly List<Sample> _samples = new();
    private volatile string _phase = "steady";
    private long _started;

    /// <param name="baseUri">An HTTP/1.1 listener.</param>
    /// <param name="h2cUri">An HTTP/2 prior-knowledge listener (defaults to <paramref name="baseUri"/>).</param>
    public LoadGenerator(Uri baseUri, Uri? h2cUri = null)
    {
        _baseUri = baseUri;
        _h2cUri = h2cUri ?? baseUri;
    }

    public string Phase { get => _phase; set => _phase = value; }

    public long Started => Interlocked.Read(ref _started);

    public IReadOnlyList<Sample> Samples
    {
        get { lock (_gate) { return _samples.ToArray(); } }
    }

    public void Start(IReadOnlyDictionary<ClientKind, int> clients)
    {
        foreach (var (kind, count) in clients)
        {
            for (int i = 0; i < count; i++)
            {
                _workers.Add(Task.Run(() => RunAsync(kind, _stop.Token)));
            }
        }
    }

    /// <summary>Stops issuing requests and waits for those in flight.</summary>
    public async Task StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(ClientKind kind, CancellationToken stop)
    {
        using var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = kind == ClientKind.NewConnection ? TimeSpan.Zero : Timeout.InfiniteTimeSpan,
            AllowAutoRedirect = false,
            UseProxy = false,
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        while (!stop.IsCancellationRequested)
        {
            var phase = _phase;
            var startedAt = Stopwatch.GetTimestamp();
            var sw = Stopwatch.StartNew();
            Interlocked.Increment(ref _started);
            try
            {
                bool ok = kind == ClientKind.WebSocket
                    ? await WebSocketRoundTripsAsync(stop).ConfigureAwait(false)
                    : await RequestAsync(client, kind).ConfigureAwait(false);
                Record(new Sample(kind, phase, ok, false, sw.Elapsed.TotalMilliseconds, ok ? null : "unexpected response", startedAt));
            }
            catch (Exception ex) when (IsRefused(ex))
            {
                Record(new Sample(kind, phase, false, true, sw.Elapsed.TotalMilliseconds, "refused", startedAt));
                await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Record(new Sample(kind, phase, false, false, sw.Elapsed.TotalMilliseconds, ex.GetBaseException().Message, startedAt));
            }
        }
    }

    private async Task<bool> RequestAsync(HttpClient client, ClientKind kind)
    {
        var (path, version) = kind switch
        {
            ClientKind.Slow => ("slow?ms=1500", HttpVersion.Version11),
            ClientKind.Streamed => ("stream?chunks=10&ms=30", HttpVersion.Version11),
            ClientKind.H2c => ("", HttpVersion.Version20),
            _ => ("", HttpVersion.Version11),
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(kind == ClientKind.H2c ? _h2cUri : _baseUri, path))
        {
            Version = version,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (kind == ClientKind.NewConnection)
        {
            request.Headers.ConnectionClose = true;
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
        await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.OK;
    }

    private async Task<bool> WebSocketRoundTripsAsync(CancellationToken stop)
    {
        using var ws = new System.Net.WebSockets.ClientWebSocket();
        var uri = new UriBuilder(_baseUri) { Scheme = "ws", Path = "/ws" }.Uri;
        await ws.ConnectAsync(uri, CancellationToken.None).ConfigureAwait(false);
        var buffer = new byte[64];
        for (int i = 0; i < 20 && !stop.IsCancellationRequested; i++)
        {
            await ws.SendAsync("ping"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
            var r = await ws.ReceiveAsync(buffer, CancellationToken.None).ConfigureAwait(false);
            if (r.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
            {
                return r.CloseStatus == System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable;
            }

            await Task.Delay(25, CancellationToken.None).ConfigureAwait(false);
        }

        await ws.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
        return true;
    }

    private void Record(Sample sample)
    {
        lock (_gate)
        {
            _samples.Add(sample);
        }
    }

    private static bool IsRefused(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }
}
