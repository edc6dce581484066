using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Proxy;

public class ProxyBasicsTests
{
    [Fact]
    public async Task Get_IsForwardedToTheUpstream()
    {
        await using var host = await BatonTestHost.StartAsync();
        using var client = Clients.Http1();
        var response = await client.GetAsync(new Uri(host.PublicUri, "whoami"));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("upstream-a", await response.Content.ReadAsStringAsync());
    }
}
