using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Native;

/// <summary>
/// <c>Baton:Runtime:InlineSocketCompletions</c>: socket continuations run on the epoll threads. The
/// runtime reads its switch once, when its socket engine starts, and then runs one epoll thread
/// (".NET Sockets") per processor instead of one for up to 30; so with two processors the thread
/// count shows whether the switch was set before the first socket.
/// </summary>
public class InlineSocketCompletionsTests
{
    private static readonly Dictionary<string, string> TwoProcessors = new()
    {
        ["DOTNET_PROCESSOR_COUNT"] = "2",
        // Set by hand to the opposite of the default: the config is the one knob, so this must lose.
        ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "0",
    };

    [Fact]
    public async Task ByDefault_EachProcessorGetsAnEpollThread_AndRequestsAreProxied()
    {
        await using var host = await BatonTestHost.CreateAsync();
        await host.StartBatonAsync(TwoProcessors);

        await AssertProxiesAsync(host);
        Assert.Equal(2, EpollThreads(host.Baton.Pid));
    }

    [Fact]
    public async Task SetToFalse_OneEpollThreadHandsWorkToThePool()
    {
        await using var host = await BatonTestHost.CreateAsync();
        host.Config["Baton"]!["Runtime"] = new JsonObject { ["InlineSocketCompletions"] = false };
        await host.StartBatonAsync(new Dictionary<string, string>(TwoProcessors) { ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1" });

        await AssertProxiesAsync(host);
        Assert.Equal(1, EpollThreads(host.Baton.Pid));
    }

    private static async Task AssertProxiesAsync(BatonTestHost host)
    {
        using var client = Clients.Http1();
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.GetStringAsync(new Uri(host.PublicUri, "whoami"))));
        Assert.All(answers, a => Assert.Contains("upstream-a", a));
    }

    private static int EpollThreads(int pid) => Upgrade.ProcessWatch.ThreadCount(pid, ".NET Sockets");
}
