using Baton.Hosting.Handoff;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Tests.Handoff;

/// <summary>
/// fds ride only on a <c>listeners</c> message: any that arrive with another message (ready,
/// failed, ack, upgrade, …) are closed by the channel, in the old process and the supervisor alike
/// (issue 11, defect 10: a <c>failed</c> carrying 5 fds leaked 5).
/// </summary>
public sealed class UpgradeChannelTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(HandoffMessage.Ready)]
    [InlineData(HandoffMessage.Failed)]
    [InlineData(HandoffMessage.Upgrade)]
    public async Task FdsThatComeWithAMessageOtherThanListeners_AreClosedOnReceipt(string type)
    {
        var (a, b) = SocketPairs.Create();
        using var sender = new UpgradeChannel(SocketPairs.Adopt(a));
        using var receiver = new UpgradeChannel(SocketPairs.Adopt(b));
        var probes = Enumerable.Range(0, 5).Select(_ => new FdProbe()).ToList();
        try
        {
            await sender.SendAsync(new HandoffMessage { Type = type, Pid = 1, Reason = "x" }, probes.Select(p => p.Far).ToArray());
            probes.ForEach(p => p.CloseFar());

            var (message, fds) = await receiver.ReceiveAsync(Wait);

            Assert.Equal(type, message?.Type);
            Assert.Empty(fds);
            foreach (var probe in probes)
            {
                Assert.True(await probe.AllCopiesClosedAsync(Wait), "an fd that came with the message is still open in the receiver");
            }
        }
        finally
        {
            probes.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task FdsThatComeWithListeners_AreTheReceiversToKeep()
    {
        var (a, b) = SocketPairs.Create();
        using var sender = new UpgradeChannel(SocketPairs.Adopt(a));
        using var receiver = new UpgradeChannel(SocketPairs.Adopt(b));
        using var probe = new FdProbe();
        await sender.SendAsync(new HandoffMessage { Type = HandoffMessage.Listeners, Keys = ["public"] }, [probe.Far]);
        probe.CloseFar();

        var (message, fds) = await receiver.ReceiveAsync(Wait);

        Assert.Equal(HandoffMessage.Listeners, message?.Type);
        var fd = Assert.Single(fds);
        Assert.False(await probe.AllCopiesClosedAsync(TimeSpan.FromMilliseconds(100)));
        ListenSockets.Close(fd);
        Assert.True(await probe.AllCopiesClosedAsync(Wait));
    }
}
