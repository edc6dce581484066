using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Baton.Hosting.Interop;

/// <summary>A connected pair of AF_UNIX stream sockets (socketpair(2)); .NET has no managed API for it.</summary>
internal static class SocketPairs
{
    /// <summary>Creates the pair; both ends are close-on-exec. The caller owns both fds.</summary>
    public static unsafe (int A, int B) Create()
    {
        int* sv = stackalloc int[2];
        if (LibC.SocketPair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, sv) != 0)
        {
            throw Errno.ToException(Marshal.GetLastPInvokeError(), "socketpair");
        }

        return (sv[0], sv[1]);
    }

    /// <summary>Wraps an fd this process owns (a socketpair end or an inherited channel) in an owning <see cref="Socket"/>.</summary>
    public static Socket Adopt(int fd) => new(new SafeSocketHandle((IntPtr)fd, ownsHandle: true));
}
