using System.Net;
using System.Net.Sockets;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Tests.Interop;

/// <summary>Socket helpers for the native-layer tests.</summary>
internal static class NativeTestSockets
{
    /// <summary>Wraps a raw fd in a managed socket that owns (and will close) it.</summary>
    public static Socket Adopt(int fd) => new(new SafeSocketHandle((IntPtr)fd, ownsHandle: true));

    /// <summary>The TCP port a listening fd is bound to.</summary>
    public static int PortOf(int fd)
    {
        Assert.True(ListenSockets.TryValidate(fd, AddressFamily.Unspecified, out ListenerFdInfo info, out string error), error);
        return Assert.IsType<IPEndPoint>(info.LocalEndPoint).Port;
    }

    public static unsafe int GetIntOption(int fd, int option)
    {
        int value = 0;
        uint length = sizeof(int);
        Assert.Equal(0, LibC.GetSockOpt(fd, LibC.SOL_SOCKET, option, &value, &length));
        return value;
    }

    /// <summary>A unique socket path in a fresh temp directory (deleted with the directory).</summary>
    public static TempDirectory CreateTempDirectory() => new();

    /// <summary>Two connected AF_UNIX stream sockets, made through a listener in a temp directory.</summary>
    public static async Task<(Socket Left, Socket Right)> CreateUnixPairAsync()
    {
        using var directory = new TempDirectory();
        var endPoint = new UnixDomainSocketEndPoint(directory.File("pair.sock"));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(endPoint);
        listener.Listen(1);
        var left = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        Task<Socket> accept = listener.AcceptAsync();
        await left.ConnectAsync(endPoint).WaitAsync(TimeSpan.FromSeconds(10));
        Socket right = await accept.WaitAsync(TimeSpan.FromSeconds(10));
        return (left, right);
    }

    /// <summary>A temp directory removed on dispose.</summary>
    public sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            // Short: sun_path holds 107 bytes.
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bt-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
