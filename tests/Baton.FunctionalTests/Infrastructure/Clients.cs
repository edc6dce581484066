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

    public static HttpClient H2c(TimeSpan? timeout = null) => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
    {
        Timeout = timeout ?? TimeSpan.FromSeconds(30),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };
}
