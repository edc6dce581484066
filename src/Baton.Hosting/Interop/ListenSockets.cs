using System.Net;
using System.Net.Sockets;

namespace Baton.Hosting.Interop;

/// <summary>
/// Creates, checks and adjusts listening sockets as raw fds, so that they can be inherited by or
/// passed to another process without a managed <see cref="Socket"/> closing them underneath.
/// Validation is in <c>ListenSockets.Validate.cs</c>, epoll cleanup in <c>ListenSockets.Epoll.cs</c>.
/// </summary>
internal static partial class ListenSockets
{
    /// <summary>
    /// Creates a close-on-exec stream socket for <paramref name="endPoint"/>, binds it and listens.
    /// TCP sockets get <c>SO_REUSEADDR</c> (never <c>SO_REUSEPORT</c>: one fd, one accept queue);
    /// IPv6 keeps the OS default for <c>IPV6_V6ONLY</c>. A stale Unix socket file is removed first,
    /// but only when nothing is listening on it.
    /// </summary>
    /// <param name="endPoint">The address to bind.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="unixMode">
    /// For a Unix socket file: its mode, whatever the umask (e.g. 0600 for the admin socket); null
    /// keeps the umask's. Set with fchmod on the socket before bind(2) — Linux creates the file with
    /// the socket inode's mode masked by the umask, so the file is never wider than asked, and no
    /// path is touched that another process could swap. Changing the umask around bind instead would
    /// race with every other thread creating files (the umask is per process). The mode is checked
    /// again before listen(2): until then no one can connect, so a kernel that ignored the fchmod
    /// gets a chmod with no window.
    /// </param>
    /// <returns>The listening fd, owned by the caller.</returns>
    /// <exception cref="IOException">
    /// A step failed, e.g. "bind 0.0.0.0:8080: address already in use"; the inner
    /// <see cref="SocketException"/> carries the <see cref="SocketError"/>. The fd is closed.
    /// </exception>
    /// <exception cref="ArgumentException">The endpoint is not IPv4, IPv6 or Unix.</exception>
    public static unsafe int BindAndListen(EndPoint endPoint, int backlog, UnixFileMode? unixMode = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        int family = SockAddr.FamilyOf(endPoint);
        SocketAddress address = SockAddr.Of(endPoint);
        if (endPoint is UnixDomainSocketEndPoint unix)
        {
            RemoveStaleUnixSocket(unix);
        }

        int fd = LibC.Socket(family, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw Errno.ToException(Errno.Last, $"socket {endPoint}");
        }

        try
        {
            if (family != LibC.AF_UNIX)
            {
                int one = 1;
                if (LibC.SetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, &one, sizeof(int)) != 0)
                {
                    throw Errno.ToException(Errno.Last, $"setsockopt SO_REUSEADDR {endPoint}");
                }
            }

            string? unixPath = endPoint is UnixDomainSocketEndPoint u && unixMode is not null ? SockAddr.UnixFilePath(u) : null;
            if (unixPath is not null && LibC.FChmod(fd, (uint)unixMode!.Value) != 0)
            {
                throw Errno.ToException(Errno.Last, $"fchmod {endPoint}");
            }

            fixed (byte* addr = address.Buffer.Span)
            {
                if (LibC.Bind(fd, addr, (uint)address.Size) != 0)
                {
                    throw Errno.ToException(Errno.Last, $"bind {endPoint}");
                }
            }

            if (unixPath is not null && (File.GetUnixFileMode(unixPath) & ~unixMode!.Value) != 0)
            {
                File.SetUnixFileMode(unixPath, unixMode.Value);
            }

            if (LibC.Listen(fd, backlog) != 0)
            {
                throw Errno.ToException(Errno.Last, $"listen {endPoint}");
            }

            return fd;
        }
        catch
        {
            Close(fd);
            throw;
        }
    }

    /// <summary>Sets or clears <c>FD_CLOEXEC</c>.</summary>
    /// <exception cref="IOException"><c>fcntl</c> failed (e.g. the fd is not open).</exception>
    public static void SetCloseOnExec(int fd, bool closeOnExec)
    {
        int flags = GetFdFlags(fd);
        int wanted = closeOnExec ? flags | LibC.FD_CLOEXEC : flags & ~LibC.FD_CLOEXEC;
        if (wanted != flags && LibC.Fcntl(fd, LibC.F_SETFD, wanted) != 0)
        {
            throw Errno.ToException(Errno.Last, $"fcntl F_SETFD fd {fd}");
        }
    }

    /// <summary>Whether <c>FD_CLOEXEC</c> is set.</summary>
    /// <exception cref="IOException"><c>fcntl</c> failed (e.g. the fd is not open).</exception>
    public static bool IsCloseOnExec(int fd) => (GetFdFlags(fd) & LibC.FD_CLOEXEC) != 0;

    /// <summary>Duplicates <paramref name="fd"/> to the lowest free fd ≥ 3, close-on-exec.</summary>
    /// <exception cref="IOException"><c>fcntl</c> failed.</exception>
    public static int Duplicate(int fd)
    {
        int copy = LibC.Fcntl(fd, LibC.F_DUPFD_CLOEXEC, 3);
        return copy >= 0 ? copy : throw Errno.ToException(Errno.Last, $"fcntl F_DUPFD_CLOEXEC fd {fd}");
    }

    /// <summary>
    /// Closes <paramref name="fd"/>. Never throws: on Linux the fd is released even when close(2)
    /// reports EINTR or EIO, so there is nothing to retry, and EBADF means it was already closed.
    /// </summary>
    public static void Close(int fd) => _ = LibC.Close(fd);

    /// <summary>Calls listen(2) again, e.g. to change the backlog of an inherited socket.</summary>
    /// <exception cref="IOException">listen failed.</exception>
    public static void Listen(int fd, int backlog)
    {
        if (LibC.Listen(fd, backlog) != 0)
        {
            throw Errno.ToException(Errno.Last, $"listen fd {fd}");
        }
    }

    private static int GetFdFlags(int fd)
    {
        int flags = LibC.Fcntl(fd, LibC.F_GETFD, 0);
        return flags >= 0 ? flags : throw Errno.ToException(Errno.Last, $"fcntl F_GETFD fd {fd}");
    }

    // A socket file outlives the process that bound it. Delete it only if it is a socket and a
    // connect() is refused (nobody listening); a live listener is left alone so bind reports EADDRINUSE.
    private static void RemoveStaleUnixSocket(UnixDomainSocketEndPoint endPoint)
    {
        string? path = SockAddr.UnixFilePath(endPoint);
        if (path is null || GetFileType(LibC.AT_FDCWD, path, LibC.AT_SYMLINK_NOFOLLOW) != LibC.S_IFSOCK)
        {
            return;
        }

        try
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
            probe.Connect(endPoint); // non-blocking: a live listener with a full backlog says EAGAIN instead of holding us
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception deleteFailed) when (deleteFailed is IOException or UnauthorizedAccessException)
            {
                // Could not delete it: bind will report "address already in use".
            }
        }
        catch (SocketException)
        {
            // Anything else (a live listener, no permission): bind reports the real problem.
        }
    }

    /// <summary>The <c>S_IFMT</c> bits of a file (statx, whose layout is the same on every architecture), or -1 on error.</summary>
    private static unsafe int GetFileType(int dirfd, string path, int flags)
    {
        byte* statx = stackalloc byte[LibC.StatxSize];
        if (LibC.Statx(dirfd, path, flags, LibC.STATX_TYPE, statx) != 0)
        {
            return -1;
        }

        return *(ushort*)(statx + LibC.StatxModeOffset) & LibC.S_IFMT;
    }
}
