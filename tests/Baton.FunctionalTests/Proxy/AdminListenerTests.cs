using System.Net;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Proxy;

/// <summary>Baton's own endpoints answer on the admin listener only; on a public listener every path is the upstream's.</summary>
public class AdminListenerTests
{
    [Fact]
    public async Task AdminListener_AnswersLivezReadyzAndHealth()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();

        foreach (var (path, body) in new[] { ("livez", """{"status":"alive"}"""), ("readyz", """{"status":"ready"}"""), ("health", """{"status":"healthy"}""") })
        {
            var response = await client.GetAsync(new Uri(host.AdminUri, path));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(body, await response.Content.ReadAsStringAsync());
            Assert.False(response.Headers.Contains("X-Upstream"), $"/{path} on the admin listener reached the upstream");
        }
    }

    [Fact]
    public async Task AdminListener_DoesNotProxy()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();

        var response = await client.GetAsync(new Uri(host.AdminUri, "whoami"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("X-Upstream"));
    }

    [Theory]
    [InlineData("status")]
    [InlineData("livez")]
    [InlineData("readyz")]
    [InlineData("health")]
    public async Task PublicListener_AdminPaths_AreProxiedToTheUpstream(string path)
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();

        var response = await client.GetAsync(new Uri(host.PublicUri, path));

        // The demo upstream has none of these paths: its 404, marked with its name, proves the
        // request went through rather than being answered by Baton.
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(["upstream-a"], response.Headers.GetValues("X-Upstream"));
    }

    [Fact]
    public async Task PublicListener_PostPrestop_IsProxiedAndDoesNotStopBaton()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();

        var response = await client.PostAsync(new Uri(host.PublicUri, "prestop"), null);

        Assert.Equal(["upstream-a"], response.Headers.GetValues("X-Upstream"));
        var ready = await client.GetAsync(new Uri(host.AdminUri, "readyz"));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.False(host.Baton.Exited.IsCompleted);
    }
}
