using System.Net;
using System.Net.Sockets;

namespace Baton.Hosting.Interop;

internal static partial class ListenSockets
{
    /// <summary>
    /// Checks that <paramref name="fd"/> is an open, listening stream socket of the expected family,
    /// as an inherited or received fd must be before Baton serves on it.
    /// </summary>
    /// <param name="fd">The fd to check.</param>
    /// <param name="expectedFamily">The family it must have, or <see cref="AddressFamily.Unspecified"/> for any.</param>
    /// <param name="info">On success, the fd, its family and its bound address.</param>
    /// <param name="error">
    /// On failure, one line naming the fd and the problem, e.g. "fd 7 is not a socket"; empty on success.
    /// </param>
    public static bool TryValidate(int fd, AddressFamily expectedFamily, out ListenerFdInfo info, out string error)
    {
        info = default;
        error = Check(fd, expectedFamily, out AddressFamily family, out EndPoint? localEndPoint) ?? string.Empty;
        if (error.Length > 0)
        {
            return false;
        }

        info = new ListenerFdInfo(fd, family, localEndPoint);
        return true;
    }

    // Returns null when the fd is good, otherwise the error line. Steps run cheapest first.
    private static string? Check(int fd, AddressFamily expectedFamily, out AddressFamily family, out EndPoint? localEndPoint)
    {
        family = AddressFamily.Unknown;
        localEndPoint = null;

        // 1. Open at all?
        if (fd < 0 || LibC.Fcntl(fd, LibC.F_GETFD, 0) < 0)
        {
            return $"fd {fd} is not open";
        }

        // 2. A socket (not a file, pipe or tty)?
        int fileType = GetFileType(fd, string.Empty, LibC.AT_EMPTY_PATH);
        int statxErrno = Errno.Last;
        if (fileType != LibC.S_IFSOCK)
        {
            return fileType < 0 ? $"fd {fd}: statx failed: {Errno.Describe(statxErrno)}" : $"fd {fd} is not a socket";
        }

        // 3–6 through .NET: a socket that does not own the fd reads its type, family, listening
        // state and address (disposing it leaves the fd alone: ListenSocketsTests.Borrow_*).
        Socket socket;
        try
        {
            socket = Borrow(fd);
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode == SocketError.NotSocket ? $"fd {fd} is not a socket" : $"fd {fd}: {ex.Message}";
        }

        using (socket)
        {
            // 3. A stream socket?
            if (socket.SocketType != SocketType.Stream)
            {
                return $"fd {fd} is a socket but not SOCK_STREAM (SO_TYPE={(int)socket.SocketType})";
            }

            try
            {
                // 4. Listening?
                if (socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.AcceptConnection) is 0)
                {
                    return $"fd {fd} is a socket but not listening (SO_ACCEPTCONN=0)";
                }

                // 5. The expected family?
                family = socket.AddressFamily;
                if (expectedFamily != AddressFamily.Unspecified && family != expectedFamily)
                {
                    return $"fd {fd} has family {family}, expected {expectedFamily}";
                }

                // 6. Where is it bound?
                localEndPoint = socket.LocalEndPoint;
                return null;
            }
            catch (SocketException ex)
            {
                return $"fd {fd}: {ex.Message}";
            }
        }
    }

    /// <summary>
    /// A <see cref="Socket"/> over <paramref name="fd"/> that does not own it: for reading the
    /// socket's options and addresses through .NET. Disposing it leaves the fd open, listening and
    /// as blocking as it was (checked by ListenSocketsTests.Borrow_Disposed_*).
    /// </summary>
    /// <remarks>.NET takes any fd: one that is not a socket gives <see cref="SocketType.Unknown"/>.</remarks>
    /// <exception cref="SocketException">The socket's properties cannot be read.</exception>
    public static Socket Borrow(int fd) => new(new SafeSocketHandle((IntPtr)fd, ownsHandle: false));
}
