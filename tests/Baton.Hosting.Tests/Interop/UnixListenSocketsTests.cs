using System.Net.Sockets;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Tests.Interop;

public class UnixListenSocketsTests
{
    [Fact]
    public async Task BindAndListen_UnixPath_ValidatesAndAcceptsConnections()
    {
        using var directory = NativeTestSockets.CreateTempDirectory();
        string path = directory.File("baton.sock");
        int fd = ListenSockets.BindAndListen(new UnixDomainSocketEndPoint(path), backlog: 16);
        using var listener = NativeTestSockets.Adopt(fd);

        Assert.True(ListenSockets.TryValidate(fd, AddressFamily.Unix, out ListenerFdInfo info, out string error), error);
        Assert.Equal(AddressFamily.Unix, info.Family);
        Assert.Equal(path, Assert.IsType<UnixDomainSocketEndPoint>(info.LocalEndPoint).ToString());

        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(TimeSpan.FromSeconds(10));
        using Socket accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void BindAndListen_StaleSocketFile_IsReplaced()
    {
        using var directory = NativeTestSockets.CreateTempDirectory();
        var endPoint = new UnixDomainSocketEndPoint(directory.File("baton.sock"));
        ListenSockets.Close(ListenSockets.BindAndListen(endPoint, backlog: 16));
        Assert.True(File.Exists(directory.File("baton.sock")));

        int fd = ListenSockets.BindAndListen(endPoint, backlog: 16);

        ListenSockets.Close(fd);
    }

    [Fact]
    public void BindAndListen_LiveSocketFile_IsLeftAloneAndBindFails()
    {
        using var directory = NativeTestSockets.CreateTempDirectory();
        string path = directory.File("baton.sock");
        int live = ListenSockets.BindAndListen(new UnixDomainSocketEndPoint(path), backlog: 16);
        try
        {
            var ex = Assert.Throws<IOException>(() => ListenSockets.BindAndListen(new UnixDomainSocketEndPoint(path), backlog: 16));

            Assert.Equal($"bind {path}: address already in use", ex.Message);
            Assert.True(ListenSockets.TryValidate(live, AddressFamily.Unix, out _, out string error), error);
            Assert.True(File.Exists(path));
        }
        finally
        {
            ListenSockets.Close(live);
        }
    }

    [Fact]
    public void BindAndListen_RegularFileAtPath_IsNotDeleted()
    {
        using var directory = NativeTestSockets.CreateTempDirectory();
        string path = directory.File("not-a-socket");
        File.WriteAllText(path, "keep me");

        var ex = Assert.Throws<IOException>(() => ListenSockets.BindAndListen(new UnixDomainSocketEndPoint(path), backlog: 16));

        Assert.Contains("address already in use", ex.Message);
        Assert.Equal("keep me", File.ReadAllText(path));
    }
}
