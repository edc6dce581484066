namespace Baton.Hosting.Interop;

/// <summary>
/// Linux constants for the imports in <see cref="LibC"/>. The values are the same on x86_64 and
/// aarch64 (both use the generic socket, fcntl and errno numbering).
/// </summary>
internal static partial class LibC
{
    internal const int AF_UNIX = 1;
    internal const int AF_INET = 2;
    internal const int AF_INET6 = 10;

    internal const int SOCK_STREAM = 1;
    internal const int SOCK_NONBLOCK = 0x800;
    internal const int SOCK_CLOEXEC = 0x80000;

    internal const int SOL_SOCKET = 1;
    internal const int SO_REUSEADDR = 2;
    internal const int SO_TYPE = 3;
    internal const int SO_REUSEPORT = 15;
    internal const int SO_PEERCRED = 17;
    internal const int SO_ACCEPTCONN = 30;
    internal const int SO_DOMAIN = 39;
    internal const int SCM_RIGHTS = 1;

    internal const int MSG_CTRUNC = 0x8;
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_NOSIGNAL = 0x4000;
    internal const int MSG_CMSG_CLOEXEC = 0x40000000;

    internal const int F_GETFD = 1;
    internal const int F_SETFD = 2;
    internal const int F_DUPFD_CLOEXEC = 1030;
    internal const int FD_CLOEXEC = 1;

    internal const int AT_FDCWD = -100;
    internal const int AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int AT_EMPTY_PATH = 0x1000;
    internal const uint STATX_TYPE = 0x1;
    /// <summary><c>sizeof(struct statx)</c>.</summary>
    internal const int StatxSize = 256;
    /// <summary>Offset of <c>stx_mode</c> (a <c>__u16</c>) in <c>struct statx</c>.</summary>
    internal const int StatxModeOffset = 28;
    internal const int S_IFMT = 0xF000;
    internal const int S_IFSOCK = 0xC000;

    internal const short POLLIN = 0x1;
    internal const short POLLOUT = 0x4;
    internal const int EPOLL_CTL_DEL = 2;
}
