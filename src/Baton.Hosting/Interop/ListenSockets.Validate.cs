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

        // 3. A stream socket?
        if (GetIntOption(fd, LibC.SO_TYPE, out int socketType) is string typeError)
        {
            return typeError;
        }

        if (socketType != LibC.SOCK_STREAM)
        {
            return $"fd {fd} is a socket but not SOCK_STREAM (SO_TYPE={socketType})";
        }

        // 4. Listening?
        if (GetIntOption(fd, LibC.SO_ACCEPTCONN, out int accepting) is string acceptError)
        {
            return acceptError;
        }

        if (accepting == 0)
        {
            return $"fd {fd} is a socket but not listening (SO_ACCEPTCONN=0)";
        }

        // 5. The expected family?
        if (GetIntOption(fd, LibC.SO_DOMAIN, out int domain) is string domainError)
        {
            return domainError;
        }

        family = SockAddr.ToAddressFamily(domain);
        if (expectedFamily != AddressFamily.Unspecified && family != expectedFamily)
        {
            string actual = family == AddressFamily.Unknown ? $"{domain} (unknown)" : family.ToString();
            return $"fd {fd} has family {actual}, expected {expectedFamily}";
        }

        // 6. Where is it bound?
        return GetLocalEndPoint(fd, out localEndPoint);
    }

    private static unsafe string? GetIntOption(int fd, int option, out int value)
    {
        int result = 0;
        uint length = sizeof(int);
        value = 0;
        if (LibC.GetSockOpt(fd, LibC.SOL_SOCKET, option, &result, &length) != 0)
        {
            int errno = Errno.Last;
            return errno == Errno.ENOTSOCK
                ? $"fd {fd} is not a socket"
                : $"fd {fd}: getsockopt {OptionName(option)} failed: {Errno.Describe(errno)}";
        }

        value = result;
        return null;
    }

    private static unsafe string? GetLocalEndPoint(int fd, out EndPoint? localEndPoint)
    {
        byte* address = stackalloc byte[SockAddr.MaxSize];
        uint length = SockAddr.MaxSize;
        localEndPoint = null;
        if (LibC.GetSockName(fd, address, &length) != 0)
        {
            int errno = Errno.Last;
            return $"fd {fd}: getsockname failed: {Errno.Describe(errno)}";
        }

        localEndPoint = SockAddr.Read(new ReadOnlySpan<byte>(address, SockAddr.MaxSize), (int)length);
        return null;
    }

    private static string OptionName(int option) => option switch
    {
        LibC.SO_TYPE => "SO_TYPE",
        LibC.SO_ACCEPTCONN => "SO_ACCEPTCONN",
        LibC.SO_DOMAIN => "SO_DOMAIN",
        _ => option.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
