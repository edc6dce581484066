using System.Collections.Concurrent;
using System.Net;

namespace Baton.FunctionalTests.Upstreams;

/// <summary>
/// Client load through Baton while upstreams restart: GET on kept-alive connections, GET on a new
/// connection each, and POSTs with bodies below and above Baton's replay buffer (64 KiB). Each
/// kind is counted apart; a failure is any response other than the expected one.
/// </summary>
public sealed class MixedLoad : IAsyncDisposable
{
    public const int SmallBody = 4 * 1024;
    public const int LargeBody = 200 * 1024;

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private readonly HttpClient _client;

    public MixedLoad(Uri baseUri, int workersPerKind = 2)
    {
        _client = Infrastructure.Clients.Http1(TimeSpan.FromSeconds(20));
        _client.BaseAddress = baseUri;
        foreach (var kind in Enum.GetValues<LoadKind>())
        {
            Counts[kind] = new Count();
            for (int i = 0; i < workersPerKind; i++)
            {
                _workers.Add(Task.Run(() => RunAsync(kind)));
            }
        }
    }

    public enum LoadKind { KeepAliveGet, NewConnectionGet, SmallPost, LargePost }

    public sealed class Count
    {
        public int Ok;
        public int Failed;
        public ConcurrentQueue<string> Failures { get; } = new();
    }

    public ConcurrentDictionary<LoadKind, Count> Counts { get; } = new();

    public int Total => Counts.Values.Sum(c => c.Ok + c.Failed);

    /// <summary>Completes once every kind has at least <paramref name="n"/> successful requests.</summary>
    public async Task WhenEachKindServedAsync(int n)
    {
        using var timeout = new CancellationTokenSource(Infrastructure.BatonTestHost.Timeout);
        while (Counts.Values.Any(c => Volatile.Read(ref c.Ok) < n))
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private async Task RunAsync(LoadKind kind)
    {
        var count = Counts[kind];
        var payload = new byte[kind == LoadKind.LargePost ? LargeBody : SmallBody];
        Random.Shared.NextBytes(payload);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var request = kind switch
                {
                    LoadKind.KeepAliveGet => new HttpRequestMessage(HttpMethod.Get, "/"),
                    LoadKind.NewConnectionGet => new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { ConnectionClose = true } },
                    _ => new HttpRequestMessage(HttpMethod.Post, "/echo") { Content = new ByteArrayContent(payload) },
                };
                using var response = await _client.SendAsync(request);
                var body = await response.Content.ReadAsByteArrayAsync();
                bool ok = response.StatusCode == HttpStatusCode.OK
                    && (kind is LoadKind.KeepAliveGet or LoadKind.NewConnectionGet ? body.Length > 0 : body.AsSpan().SequenceEqual(payload));
                if (ok)
                {
                    Interlocked.Increment(ref count.Ok);
                }
                else
                {
                    Fail(count, $"{(int)response.StatusCode} ({body.Length} bytes)");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                Fail(count, ex.GetType().Name + ": " + ex.Message);
            }
        }
    }

    private static void Fail(Count count, string why)
    {
        Interlocked.Increment(ref count.Failed);
        if (count.Failures.Count < 5)
        {
            count.Failures.Enqueue(why);
        }
    }

    public string Summary() => string.Join("; ", Counts.OrderBy(c => c.Key).Select(c =>
        $"{c.Key} {c.Value.Ok} ok {c.Value.Failed} failed{(c.Value.Failures.IsEmpty ? "" : " [" + string.Join(" | ", c.Value.Failures) + "]")}"));

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_workers);
        _client.Dispose();
        _stop.Dispose();
    }
}
