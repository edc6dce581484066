using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Baton.Limits;

/// <summary>
/// <c>Baton:Limits</c>: Kestrel's server-wide limits, every one settable in the file. A key left out
/// keeps Kestrel's own default, read from Kestrel itself so the two cannot drift (the values in the
/// summaries are Kestrel's in .NET 10; docs/limits.md compares them with nginx and HAProxy).
/// </summary>
public sealed record LimitsSettings
{
    private static readonly KestrelServerLimits s_kestrel = new();

    /// <summary>Request header bytes (request line excluded) before 431. Defaults to 32 KiB (Kestrel; nginx allows 4 × 8 KiB buffers).</summary>
    public int MaxRequestHeadersTotalSize { get; init; } = s_kestrel.MaxRequestHeadersTotalSize;

    /// <summary>Request headers before 431. Defaults to 100 (Kestrel; HAProxy's tune.http.maxhdr is 101).</summary>
    public int MaxRequestHeaderCount { get; init; } = s_kestrel.MaxRequestHeaderCount;

    /// <summary>HTTP/1.1 request line bytes before 414. Defaults to 8 KiB (Kestrel; nginx's large_client_header_buffers is 8 KiB).</summary>
    public int MaxRequestLineSize { get; init; } = s_kestrel.MaxRequestLineSize;

    /// <summary>Request body bytes before 413; null: unlimited. Defaults to 30,000,000 (Kestrel, about 28.6 MiB; nginx's client_max_body_size is 1 MiB).</summary>
    public long? MaxRequestBodySize { get; init; } = s_kestrel.MaxRequestBodySize;

    /// <summary>How long a client may take to send the request headers before 408. Defaults to 30 s (Kestrel; nginx's client_header_timeout is 60 s).</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = s_kestrel.RequestHeadersTimeout;

    /// <summary>How long an idle keep-alive connection stays open. Defaults to 130 s (Kestrel: above the 60 s idle timeout of AWS and Azure load balancers, whose reuse of a connection the proxy just closed costs a 502; nginx's keepalive_timeout is 75 s).</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = s_kestrel.KeepAliveTimeout;

    /// <summary>The slowest request body upload allowed; null: off. Defaults to 240 bytes/s after a 5 s grace period (Kestrel).</summary>
    public DataRate? MinRequestBodyDataRate { get; init; } = Rate(s_kestrel.MinRequestBodyDataRate);

    /// <summary>The slowest response download allowed; null: off. Defaults to 240 bytes/s after a 5 s grace period (Kestrel).</summary>
    public DataRate? MinResponseDataRate { get; init; } = Rate(s_kestrel.MinResponseDataRate);

    /// <summary>Concurrent streams per HTTP/2 connection (excess streams are refused). Defaults to 100 (Kestrel; nginx's http2_max_concurrent_streams is 128).</summary>
    public int Http2MaxStreamsPerConnection { get; init; } = s_kestrel.Http2.MaxStreamsPerConnection;

    /// <summary>Bytes of one HTTP/2 request header field, name and value, after decompression. Defaults to 32 KiB (Kestrel).</summary>
    public int Http2MaxRequestHeaderFieldSize { get; init; } = s_kestrel.Http2.MaxRequestHeaderFieldSize;

    /// <summary>HTTP/2 request body bytes buffered per connection. Defaults to 1 MiB (Kestrel).</summary>
    public int Http2InitialConnectionWindowSize { get; init; } = s_kestrel.Http2.InitialConnectionWindowSize;

    /// <summary>HTTP/2 request body bytes buffered per stream. Defaults to 768 KiB (Kestrel).</summary>
    public int Http2InitialStreamWindowSize { get; init; } = s_kestrel.Http2.InitialStreamWindowSize;

    /// <summary>Sets these limits on Kestrel.</summary>
    public void ApplyTo(KestrelServerLimits limits)
    {
        limits.MaxRequestHeadersTotalSize = MaxRequestHeadersTotalSize;
        limits.MaxRequestHeaderCount = MaxRequestHeaderCount;
        limits.MaxRequestLineSize = MaxRequestLineSize;
        limits.MaxRequestBodySize = MaxRequestBodySize;
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        limits.MinRequestBodyDataRate = MinRequestBodyDataRate is { } body ? new MinDataRate(body.BytesPerSecond, body.GracePeriod) : null;
        limits.MinResponseDataRate = MinResponseDataRate is { } response ? new MinDataRate(response.BytesPerSecond, response.GracePeriod) : null;
        limits.Http2.MaxStreamsPerConnection = Http2MaxStreamsPerConnection;
        limits.Http2.MaxRequestHeaderFieldSize = Http2MaxRequestHeaderFieldSize;
        limits.Http2.InitialConnectionWindowSize = Http2InitialConnectionWindowSize;
        limits.Http2.InitialStreamWindowSize = Http2InitialStreamWindowSize;
    }

    private static DataRate? Rate(MinDataRate? rate) => rate is null ? null : new DataRate(rate.BytesPerSecond, rate.GracePeriod);
}
