using System.Net;
using System.Net.Sockets;
using System.Text;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Tests.Interop;

public class FdPassingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Send_TwoListeners_ReceiverCanAcceptOnTheReceivedFds()
    {
        var (sender, receiver) = await NativeTestSockets.CreateUnixPairAsync();
        using var _ = sender;
        using var __ = receiver;
        int first = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 16);
        int second = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 16);
        int firstPort = NativeTestSockets.PortOf(first);
        int secondPort = NativeTestSockets.PortOf(second);

        FdPassing.Send(sender, "listeners"u8, [first, second]);
        var fds = new List<int>();
        byte[] buffer = new byte[64];
        int count = await Task.Run(() => FdPassing.Receive(receiver, buffer, fds, Timeout)).WaitAsync(Timeout);
        // The sender lets go of its copies: the received fds alone keep the listeners alive.
        ListenSockets.Close(first);
        ListenSockets.Close(second);

        Assert.Equal("listeners", Encoding.ASCII.GetString(buffer, 0, count));
        Assert.Equal(2, fds.Count);
        using var firstListener = NativeTestSockets.Adopt(fds[0]);
        using var secondListener = NativeTestSockets.Adopt(fds[1]);
        Assert.Equal(firstPort, NativeTestSockets.PortOf(fds[0]));
        Assert.Equal(secondPort, NativeTestSockets.PortOf(fds[1]));
        Assert.All(fds, fd => Assert.True(ListenSockets.IsCloseOnExec(fd)));

        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, secondPort).WaitAsync(Timeout);
        using Socket accepted = await secondListener.AcceptAsync().WaitAsync(Timeout);
        Assert.Equal(client.Client.LocalEndPoint, accepted.RemoteEndPoint);
    }

    [Fact]
    public async Task Send_NoFds_DeliversPayloadOnly()
    {
        var (sender, receiver) = await NativeTestSockets.CreateUnixPairAsync();
        using var _ = sender;
        using var __ = receiver;

        FdPassing.Send(sender, "ready"u8, []);
        var fds = new List<int>();
        byte[] buffer = new byte[16];
        int count = FdPassing.Receive(receiver, buffer, fds, Timeout);

        Assert.Equal("ready", Encoding.ASCII.GetString(buffer, 0, count));
        Assert.Empty(fds);
    }

    [Fact]
    public async Task Receive_AfterAsyncUse_WaitsForDataOnTheNonBlockingSocket()
    {
        var (sender, receiver) = await NativeTestSockets.CreateUnixPairAsync();
        using var _ = sender;
        using var __ = receiver;
        // An async receive makes .NET switch the fd to O_NONBLOCK, so recvmsg sees EAGAIN until data arrives.
        await sender.SendAsync("x"u8.ToArray()).WaitAsync(Timeout);
        Assert.Equal(1, await receiver.ReceiveAsync(new byte[1]).WaitAsync(Timeout));

        Task<int> receive = Task.Run(() => FdPassing.Receive(receiver, new byte[16], [], Timeout));
        await Task.Delay(100);
        Assert.False(receive.IsCompleted);
        FdPassing.Send(sender, "late"u8, []);

        Assert.Equal(4, await receive.WaitAsync(Timeout));
    }

    [Fact]
    public async Task Receive_NothingSent_ThrowsTimeout()
    {
        var (sender, receiver) = await NativeTestSockets.CreateUnixPairAsync();
        using var _ = sender;
        using var __ = receiver;

        Assert.Throws<TimeoutException>(() => FdPassing.Receive(receiver, new byte[16], [], TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task Receive_PeerClosed_ReturnsZero()
    {
        var (sender, receiver) = await NativeTestSockets.CreateUnixPairAsync();
        using var __ = receiver;
        sender.Dispose();

        Assert.Equal(0, FdPassing.Receive(receiver, new byte[16], [], Timeout));
    }

    [Fact]
    public async Task Send_PeerClosed_ThrowsIOException()
    {
        var (sender, receiver) = await NativeTestSockets.CreateUnixPairAsync();
        using var _ = sender;
        receiver.Dispose();

        var ex = Assert.Throws<IOException>(() => FdPassing.Send(sender, "x"u8, []));

        Assert.StartsWith("sendmsg: ", ex.Message);
    }

    [Fact]
    public async Task GetPeerCredentials_ReturnsOwnProcessAndUser()
    {
        var (left, right) = await NativeTestSockets.CreateUnixPairAsync();
        using var _ = left;
        using var __ = right;

        var (pid, uid, _) = FdPassing.GetPeerCredentials(right);

        Assert.Equal(Environment.ProcessId, pid);
        Assert.Equal(EffectiveUidFromProc(), uid);
        Assert.Equal(uid, FdPassing.GetEffectiveUid());
    }

    // /proc/self/status: "Uid:\treal\teffective\tsaved\tfs".
    private static uint EffectiveUidFromProc()
    {
        string line = File.ReadLines("/proc/self/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return uint.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], System.Globalization.CultureInfo.InvariantCulture);
    }
}
