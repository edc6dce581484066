using System.Net;
using System.Net.Sockets;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Tests.Interop;

public class RemoveFromEpollTests
{
    [Fact]
    public async Task RemoveFromEpoll_SocketWithPendingManagedAccept_IsRemovedOnce()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        Task<Socket> accept = listener.AcceptAsync(); // registers the fd with .NET's epoll set
        int fd = (int)listener.SafeHandle.DangerousGetHandle();

        int removed = ListenSockets.RemoveFromEpoll(fd);
        int removedAgain = ListenSockets.RemoveFromEpoll(fd);
        listener.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => accept.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.True(removed >= 1, $"removed from {removed} epoll instances");
        Assert.Equal(0, removedAgain);
    }

    [Fact]
    public void RemoveFromEpoll_FdNeverUsedByDotNet_ReturnsZero()
    {
        int fd = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 16);
        try
        {
            Assert.Equal(0, ListenSockets.RemoveFromEpoll(fd));
        }
        finally
        {
            ListenSockets.Close(fd);
        }
    }
}
