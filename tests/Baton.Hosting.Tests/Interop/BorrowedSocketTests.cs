using System.Net;
using System.Net.Sockets;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Tests.Interop;

/// <summary>
/// <see cref="ListenSockets.Borrow"/>: a <see cref="Socket"/> that does not own its fd, for reading
/// a listener's type, family and address through .NET. Disposing it must leave the fd exactly as
/// it was — open, listening, as blocking as before, close-on-exec or not, a Unix socket's file in
/// place — since that fd is a listener this process (and the next one) keeps serving on.
/// </summary>
public sealed class BorrowedSocketTests
{
    private const int F_GETFL = 3;
    private const int F_SETFL = 4;
    private const int O_NONBLOCK = 0x800;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)] // inherited: close-on-exec cleared
    public async Task Borrow_Disposed_LeavesATcpListenerAsItWas(bool nonBlocking, bool closeOnExec)
    {
        int fd = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 16);
        try
        {
            SetNonBlocking(fd, nonBlocking);
            ListenSockets.SetCloseOnExec(fd, closeOnExec);
            int flags = LibC.Fcntl(fd, F_GETFL, 0);

            EndPoint? local;
            using (var borrowed = ListenSockets.Borrow(fd))
            {
                Assert.Equal(AddressFamily.InterNetwork, borrowed.AddressFamily);
                Assert.Equal(SocketType.Stream, borrowed.SocketType);
                local = borrowed.LocalEndPoint;
            }

            Assert.True(LibC.Fcntl(fd, LibC.F_GETFD, 0) >= 0, "the fd was closed");
            Assert.Equal(flags, LibC.Fcntl(fd, F_GETFL, 0));
            Assert.Equal(closeOnExec, ListenSockets.IsCloseOnExec(fd));
            Assert.True(ListenSockets.TryValidate(fd, AddressFamily.InterNetwork, out var info, out var error), error);
            Assert.Equal(local, info.LocalEndPoint);
            await AcceptsAsync(fd, info.LocalEndPoint!);
        }
        finally
        {
            ListenSockets.Close(fd);
        }
    }

    [Fact]
    public async Task Borrow_Disposed_LeavesAUnixListenerAndItsFile()
    {
        using var directory = NativeTestSockets.CreateTempDirectory();
        var path = directory.File("b.sock");
        int fd = ListenSockets.BindAndListen(new UnixDomainSocketEndPoint(path), backlog: 16);
        try
        {
            using (var borrowed = ListenSockets.Borrow(fd))
            {
                Assert.Equal(AddressFamily.Unix, borrowed.AddressFamily);
                Assert.Equal(path, borrowed.LocalEndPoint?.ToString());
            }

            Assert.True(File.Exists(path), "disposing the borrowed socket deleted the socket file");
            Assert.True(ListenSockets.TryValidate(fd, AddressFamily.Unix, out var info, out var error), error);
            await AcceptsAsync(fd, info.LocalEndPoint!);
        }
        finally
        {
            ListenSockets.Close(fd);
        }
    }

    [Fact]
    public void Borrow_NotASocket_KnowsNothingAndLeavesTheFdOpen()
    {
        // .NET takes any fd (TryValidate checks that it is a socket first); disposing must not close it either.
        var path = Path.Combine(Path.GetTempPath(), $"baton-{Guid.NewGuid():N}.txt");
        try
        {
            using var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
            int fd = (int)file.DangerousGetHandle();

            using (var borrowed = ListenSockets.Borrow(fd))
            {
                Assert.Equal(SocketType.Unknown, borrowed.SocketType);
            }

            Assert.True(LibC.Fcntl(fd, LibC.F_GETFD, 0) >= 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void SetNonBlocking(int fd, bool nonBlocking)
    {
        int flags = LibC.Fcntl(fd, F_GETFL, 0);
        Assert.Equal(0, LibC.Fcntl(fd, F_SETFL, nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK));
    }

    // A client connects and the listener (through a duplicate it owns) accepts it.
    private static async Task AcceptsAsync(int fd, EndPoint local)
    {
        using var listener = NativeTestSockets.Adopt(ListenSockets.Duplicate(fd));
        using var client = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(local).WaitAsync(Timeout);
        using var accepted = await listener.AcceptAsync().WaitAsync(Timeout);
    }
}
