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

    // A supervisor waits on each worker's channel, and a worker on its supervisor's, for days: no
    // thread may be held for that (a thread-pool thread blocked in poll each starved the pool).
    [Fact]
    public async Task ReceiveAsync_ManyQuietChannels_HoldNoThread()
    {
        var quiet = Enumerable.Range(0, 64).Select(_ => SocketPairs.Create())
            .Select(p => (Near: new UpgradeChannel(SocketPairs.Adopt(p.A)), Far: new UpgradeChannel(SocketPairs.Adopt(p.B)))).ToList();
        try
        {
            var waits = quiet.Select(q => q.Near.ReceiveAsync(Timeout.InfiniteTimeSpan)).ToList();
            var (a, b) = SocketPairs.Create();
            using var sender = new UpgradeChannel(SocketPairs.Adopt(a));
            using var receiver = new UpgradeChannel(SocketPairs.Adopt(b));

            await sender.SendAsync(new HandoffMessage { Type = HandoffMessage.Ready, Pid = 7 });
            var (message, _) = await receiver.ReceiveAsync(Wait).WaitAsync(TimeSpan.FromSeconds(3));

            Assert.Equal(7, message?.Pid);
            Assert.All(waits, w => Assert.False(w.IsCompleted));
            quiet.ForEach(q => q.Far.Dispose()); // the peers go: every wait ends with "closed"
            Assert.All(await Task.WhenAll(waits).WaitAsync(Wait), r => Assert.Null(r.Message));
        }
        finally
        {
            quiet.ForEach(q => { q.Near.Dispose(); q.Far.Dispose(); });
        }
    }

    [Fact]
    public async Task ReceiveAsync_Cancelled_LeavesWhatArrivesLaterForTheNextCall()
    {
        var (a, b) = SocketPairs.Create();
        using var sender = new UpgradeChannel(SocketPairs.Adopt(a));
        using var receiver = new UpgradeChannel(SocketPairs.Adopt(b));
        using var cts = new CancellationTokenSource();
        var first = receiver.ReceiveAsync(Timeout.InfiniteTimeSpan, cts.Token);

        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first).WaitAsync(Wait);
        await sender.SendAsync(new HandoffMessage { Type = HandoffMessage.Ready, Pid = 8 });

        Assert.Equal(8, (await receiver.ReceiveAsync(Wait)).Message?.Pid);
    }

    [Fact]
    public async Task ReceiveAsync_NothingInTime_TimesOut()
    {
        var (a, b) = SocketPairs.Create();
        using var sender = new UpgradeChannel(SocketPairs.Adopt(a));
        using var receiver = new UpgradeChannel(SocketPairs.Adopt(b));

        await Assert.ThrowsAsync<TimeoutException>(() => receiver.ReceiveAsync(TimeSpan.FromMilliseconds(50))).WaitAsync(Wait);
    }
}
