using System.Runtime.InteropServices;

namespace Baton.Hosting.Interop;

/// <summary>
/// The libc calls that .NET does not expose, declared for x86_64 and aarch64 Linux. Every import
/// sets errno (read it with <see cref="Marshal.GetLastPInvokeError"/>); the constants are in
/// <c>LibC.Constants.cs</c>. Callers own all validation; these are the raw system calls.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    // socket, bind and listen: .NET has them, but a managed Socket would own the listener's fd, which
    // is handed to other processes and must outlive any one Socket (ListenSockets.BindAndListen).
    // SAFETY: only integer arguments; returns a new fd or -1, touches no managed memory.
    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    // SAFETY: addr points to a pinned or stack buffer of at least addrlen bytes that the kernel only reads.
    [LibraryImport(Library, EntryPoint = "bind", SetLastError = true)]
    internal static partial int Bind(int fd, byte* addr, uint addrlen);

    // SAFETY: only integer arguments; an invalid fd fails with EBADF.
    [LibraryImport(Library, EntryPoint = "listen", SetLastError = true)]
    internal static partial int Listen(int fd, int backlog);

    // SAFETY: only integer arguments; the caller owns fd and never uses it again.
    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    // SAFETY: declared for the integer-argument commands only (F_GETFD, F_SETFD, F_DUPFD_CLOEXEC);
    // on x86_64 and aarch64 Linux a variadic int is passed exactly like a fixed one.
    [LibraryImport(Library, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int cmd, int arg);

    // SAFETY: statxbuf points to a buffer of StatxSize bytes; struct statx has the same layout on every
    // architecture (unlike struct stat), and path is a NUL-terminated UTF-8 copy made by the marshaller.
    [LibraryImport(Library, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int dirfd, string path, int flags, uint mask, byte* statxbuf);

    // getsockopt and setsockopt on raw listener fds that no managed Socket owns (the socket filter,
    // TCP_INFO, SO_REUSEADDR before bind: .NET's ReuseAddress also sets SO_REUSEPORT on Linux).
    // A managed Socket uses Get/SetRawSocketOption instead (FdPassing.GetPeerCredentials).
    // SAFETY: optval points to optlen writable bytes and optlen to a writable uint; the kernel writes no further.
    [LibraryImport(Library, EntryPoint = "getsockopt", SetLastError = true)]
    internal static partial int GetSockOpt(int fd, int level, int name, void* optval, uint* optlen);

    // SAFETY: optval points to optlen readable bytes that the kernel only reads.
    [LibraryImport(Library, EntryPoint = "setsockopt", SetLastError = true)]
    internal static partial int SetSockOpt(int fd, int level, int name, void* optval, uint optlen);

    // SAFETY: msg and everything it points to (iovec, payload, control buffer) are pinned or on the stack
    // for the duration of the call; the kernel only reads them.
    [LibraryImport(Library, EntryPoint = "sendmsg", SetLastError = true)]
    internal static partial nint SendMsg(int fd, MsgHdr* msg, int flags);

    // SAFETY: msg and everything it points to are pinned or on the stack for the duration of the call;
    // the kernel writes at most iov_len payload bytes and msg_controllen control bytes.
    [LibraryImport(Library, EntryPoint = "recvmsg", SetLastError = true)]
    internal static partial nint RecvMsg(int fd, MsgHdr* msg, int flags);

    // SAFETY: fds points to nfds PollFd structs on the stack; the kernel writes only their revents.
    [LibraryImport(Library, EntryPoint = "poll", SetLastError = true)]
    internal static partial int Poll(PollFd* fds, nuint nfds, int timeoutMs);

    // SAFETY: used only with EPOLL_CTL_DEL, for which the kernel ignores event (null is allowed since 2.6.9).
    [LibraryImport(Library, EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollCtl(int epfd, int op, int fd, void* evt);

    // SAFETY: sv points to a stack array of two ints that the kernel fills with the new fds.
    [LibraryImport(Library, EntryPoint = "socketpair", SetLastError = true)]
    internal static partial int SocketPair(int domain, int type, int protocol, int* sv);

    // SAFETY: two integers; touches no memory of ours.
    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);

    // SAFETY: act is null (nothing changes); oldact points to a stack buffer larger than struct
    // sigaction on x86_64 and aarch64 (152 bytes), of which the kernel only writes.
    [LibraryImport(Library, EntryPoint = "sigaction", SetLastError = true)]
    internal static partial int SigAction(int signal, void* act, void* oldact);

    // SAFETY: only integer arguments; changes the mode of the inode behind fd, touches no managed memory.
    [LibraryImport(Library, EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int FChmod(int fd, uint mode);

    // SAFETY: no arguments; cannot fail.
    // SAFETY: path is marshalled as a NUL-terminated UTF-8 copy; readlink writes at most size bytes
    // to buf (the caller's stack buffer of that size) and never NUL-terminates; returns the length or -1.
    [LibraryImport(Library, EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint ReadLink(string path, byte* buf, nuint size);

    [LibraryImport(Library, EntryPoint = "geteuid")]
    internal static partial uint GetEUid();
}
