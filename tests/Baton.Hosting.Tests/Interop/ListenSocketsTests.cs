using System.Net;
using System.Net.Sockets;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Tests.Interop;

public class ListenSocketsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task BindAndListen_Loopback_AcceptsConnectionsOnTheRealPort()
    {
        int fd = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 16);
        using var listener = NativeTestSockets.Adopt(fd);

        Assert.True(ListenSockets.TryValidate(fd, AddressFamily.InterNetwork, out ListenerFdInfo info, out string error), error);
        var local = Assert.IsType<IPEndPoint>(info.LocalEndPoint);
        Assert.Equal(IPAddress.Loopback, local.Address);
        Assert.NotEqual(0, local.Port);

        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(local).WaitAsync(Timeout);
        using Socket accepted = await listener.AcceptAsync().WaitAsync(Timeout);
        Assert.Equal(client.Client.LocalEndPoint, accepted.RemoteEndPoint);
    }

    [Fact]
    public void BindAndListen_PortInUse_ThrowsAddressAlreadyInUse()
    {
        int first = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 16);
        try
        {
            int port = NativeTestSockets.PortOf(first);
            var endPoint = new IPEndPoint(IPAddress.Loopback, port);

            var ex = Assert.Throws<IOException>(() => ListenSockets.BindAndListen(endPoint, backlog: 16));

            Assert.Equal($"bind 127.0.0.1:{port}: address already in use", ex.Message);
            Assert.Equal(SocketError.AddressAlreadyInUse, Assert.IsType<SocketException>(ex.InnerException).SocketErrorCode);
        }
        finally
        {
            ListenSockets.Close(first);
        }
    }

    [Fact]
    public unsafe void BindAndListen_Tcp_SetsReuseAddressButNotReusePort()
    {
        int fd = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 16);
        try
        {
            Assert.Equal(1, NativeTestSockets.GetIntOption(fd, LibC.SO_REUSEADDR));
            Assert.Equal(0, NativeTestSockets.GetIntOption(fd, LibC.SO_REUSEPORT));
            Assert.True(ListenSockets.IsCloseOnExec(fd));
        }
        finally
        {
            ListenSockets.Close(fd);
        }
    }

    [Fact]
    public async Task BindAndListen_IPv6Loopback_AcceptsConnections()
    {
        int fd = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.IPv6Loopback, 0), backlog: 16);
        using var listener = NativeTestSockets.Adopt(fd);

        Assert.True(ListenSockets.TryValidate(fd, AddressFamily.InterNetworkV6, out ListenerFdInfo info, out string error), error);
        var local = Assert.IsType<IPEndPoint>(info.LocalEndPoint);
        Assert.Equal(IPAddress.IPv6Loopback, local.Address);

        using var client = new TcpClient(AddressFamily.InterNetworkV6);
        await client.ConnectAsync(local).WaitAsync(Timeout);
        using Socket accepted = await listener.AcceptAsync().WaitAsync(Timeout);
    }

    [Fact]
    public void TryValidate_FdNotOpen_FailsWithNotOpen()
    {
        // A number far above anything this process opens; a just-closed fd could be reused by a parallel test.
        const int NeverOpened = 1_000_000;

        Assert.False(ListenSockets.TryValidate(NeverOpened, AddressFamily.Unspecified, out _, out string error));

        Assert.Equal("fd 1000000 is not open", error);
    }

    [Fact]
    public void TryValidate_RegularFile_FailsWithNotASocket()
    {
        string path = Path.Combine(Path.GetTempPath(), $"baton-{Guid.NewGuid():N}.txt");
        try
        {
            using var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
            int fd = (int)file.DangerousGetHandle();

            Assert.False(ListenSockets.TryValidate(fd, AddressFamily.Unspecified, out _, out string error));

            Assert.Equal($"fd {fd} is not a socket", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TryValidate_UnboundSocket_FailsWithNotListening()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        int fd = (int)socket.SafeHandle.DangerousGetHandle();

        Assert.False(ListenSockets.TryValidate(fd, AddressFamily.Unspecified, out _, out string error));

        Assert.Equal($"fd {fd} is a socket but not listening (SO_ACCEPTCONN=0)", error);
    }

    [Fact]
    public void TryValidate_DatagramSocket_FailsWithNotStream()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        int fd = (int)socket.SafeHandle.DangerousGetHandle();

        Assert.False(ListenSockets.TryValidate(fd, AddressFamily.Unspecified, out _, out string error));

        Assert.Equal($"fd {fd} is a socket but not SOCK_STREAM (SO_TYPE=2)", error);
    }

    [Fact]
    public void TryValidate_WrongFamily_FailsNamingBoth()
    {
        int fd = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 16);
        try
        {
            Assert.False(ListenSockets.TryValidate(fd, AddressFamily.InterNetworkV6, out _, out string error));

            Assert.Equal($"fd {fd} has family InterNetwork, expected InterNetworkV6", error);
        }
        finally
        {
            ListenSockets.Close(fd);
        }
    }

    [Fact]
    public void TryValidate_ListeningSocket_ReturnsFdFamilyAndEndPoint()
    {
        int fd = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 16);
        try
        {
            Assert.True(ListenSockets.TryValidate(fd, AddressFamily.Unspecified, out ListenerFdInfo info, out string error), error);

            Assert.Equal(string.Empty, error);
            Assert.Equal(fd, info.Fd);
            Assert.Equal(AddressFamily.InterNetwork, info.Family);
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, NativeTestSockets.PortOf(fd)), info.LocalEndPoint);
        }
        finally
        {
            ListenSockets.Close(fd);
        }
    }

    [Fact]
    public void SetCloseOnExec_RoundTrips()
    {
        int fd = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 16);
        try
        {
            Assert.True(ListenSockets.IsCloseOnExec(fd));

            ListenSockets.SetCloseOnExec(fd, false);
            Assert.False(ListenSockets.IsCloseOnExec(fd));

            ListenSockets.SetCloseOnExec(fd, true);
            Assert.True(ListenSockets.IsCloseOnExec(fd));
        }
        finally
        {
            ListenSockets.Close(fd);
        }
    }

    [Fact]
    public void SetCloseOnExec_FdNotOpen_Throws()
    {
        var ex = Assert.Throws<IOException>(() => ListenSockets.SetCloseOnExec(1_000_000, true));

        Assert.Equal("fcntl F_GETFD fd 1000000: bad file descriptor", ex.Message);
    }

    [Fact]
    public void Duplicate_ReturnsAnotherCloseOnExecFdForTheSameListener()
    {
        int fd = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 16);
        int copy = ListenSockets.Duplicate(fd);
        try
        {
            Assert.NotEqual(fd, copy);
            Assert.True(copy >= 3);
            Assert.True(ListenSockets.IsCloseOnExec(copy));
            Assert.True(ListenSockets.TryValidate(copy, AddressFamily.InterNetwork, out ListenerFdInfo info, out string error), error);
            Assert.Equal(NativeTestSockets.PortOf(fd), ((IPEndPoint)info.LocalEndPoint!).Port);
        }
        finally
        {
            ListenSockets.Close(copy);
            ListenSockets.Close(fd);
        }
    }

    [Fact]
    public void Close_FdNotOpen_DoesNotThrow()
    {
        ListenSockets.Close(1_000_000);
    }
}
