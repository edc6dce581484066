using System.Net;

namespace Baton.FunctionalTests.Infrastructure;

/// <summary>HTTP clients for tests: no proxy, no redirects, bounded timeouts.</summary>
public static class Clients
{
    public static HttpClient Http1(TimeSpan? timeout = null) => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
    {
        Timeout = timeout ?? TimeSpan.FromSeconds(30),
        DefaultRequestVersion = HttpVersion.Version11,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    /// <summary>An HTTP/1.1 client for the admin listener: it sends <c>X-Baton-Admin: 1</c>, as Baton's own CLI does (state-changing calls need it).</summary>
    public static HttpClient Admin(TimeSpan? timeout = null)
    {
        var client = Http1(timeout);
        client.DefaultRequestHeaders.Add("X-Baton-Admin", "1");
        return client;
    }

    public static HttpClient H2c(TimeSpan? timeout = null) => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
    {
        Timeout = timeout ?? TimeSpan.FromSeconds(30),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };
}
