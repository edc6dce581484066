using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Baton.Hosting.Interop;

/// <summary>
/// Sends and receives file descriptors over a connected AF_UNIX SOCK_STREAM socket (SCM_RIGHTS).
/// </summary>
/// <remarks>
/// The managed <see cref="Socket"/> may be blocking or (after async use, internally) non-blocking;
/// every call uses <c>MSG_DONTWAIT</c>, so they behave the same either way. <see cref="Send"/> and
/// <see cref="Receive(Socket, Span{byte}, List{int}, TimeSpan)"/> wait with poll(2) (a timeout is
/// honoured); <see cref="TryReceive"/> never waits, for callers that wait with a zero-byte
/// <c>ReceiveAsync</c> instead of a blocked thread. The fds travel with the first byte of the payload.
/// </remarks>
internal static class FdPassing
{
    /// <summary>The most fds one message carries (Pingora passes up to 32; the kernel allows 253).</summary>
    public const int MaxFds = 64;

    private static int ControlSpace => CMsgHdr.SpaceFor(MaxFds * sizeof(int));

    /// <summary>
    /// Sends all of <paramref name="payload"/> (non-empty) with <paramref name="fds"/> attached as one
    /// SCM_RIGHTS message. The fds are duplicated into the receiver; the caller still owns its own.
    /// </summary>
    /// <exception cref="IOException">sendmsg failed (e.g. "sendmsg: broken pipe").</exception>
    public static unsafe void Send(Socket socket, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (payload.IsEmpty)
        {
            throw new ArgumentException("The payload must not be empty: SCM_RIGHTS data rides on at least one byte.", nameof(payload));
        }

        if (fds.Length > MaxFds)
        {
            throw new ArgumentOutOfRangeException(nameof(fds), fds.Length, $"At most {MaxFds} fds can be sent at once.");
        }

        byte* control = stackalloc byte[ControlSpace];
        int controlLength = fds.IsEmpty ? 0 : CMsgHdr.SpaceFor(fds.Length * sizeof(int));
        new Span<byte>(control, ControlSpace).Clear();
        var header = (CMsgHdr*)control;
        header->Len = (nuint)CMsgHdr.LengthFor(fds.Length * sizeof(int));
        header->Level = LibC.SOL_SOCKET;
        header->Type = LibC.SCM_RIGHTS;
        fds.CopyTo(new Span<int>(control + CMsgHdr.DataOffset, fds.Length));

        using var lease = new SocketFd(socket);
        fixed (byte* data = payload)
        {
            int sent = 0;
            while (sent < payload.Length)
            {
                var iov = new IoVec { Base = data + sent, Length = (nuint)(payload.Length - sent) };
                var msg = new MsgHdr { Iov = &iov, IovLen = 1 };
                if (sent == 0 && controlLength > 0)
                {
                    msg.Control = control;
                    msg.ControlLen = (nuint)controlLength;
                }

                nint result = LibC.SendMsg(lease.Fd, &msg, LibC.MSG_NOSIGNAL | LibC.MSG_DONTWAIT);
                if (result >= 0)
                {
                    sent += (int)result; // the fds went with the first chunk; the rest is plain data.
                    continue;
                }

                int errno = Errno.Last;
                if (errno == Errno.EAGAIN)
                {
                    Wait(lease.Fd, LibC.POLLOUT, Timeout.InfiniteTimeSpan, deadline: 0);
                }
                else if (errno != Errno.EINTR)
                {
                    throw Errno.ToException(errno, "sendmsg");
                }
            }
        }
    }

    /// <summary>Receives once, waiting as long as it takes. See <see cref="Receive(Socket, Span{byte}, List{int}, TimeSpan)"/>.</summary>
    public static int Receive(Socket socket, Span<byte> buffer, List<int> fds) =>
        Receive(socket, buffer, fds, Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Receives once into <paramref name="buffer"/> and appends any fds that came with it to
    /// <paramref name="fds"/>, already close-on-exec (<c>MSG_CMSG_CLOEXEC</c>). The caller owns them.
    /// Blocks the calling thread in poll(2) until something arrives; <see cref="TryReceive"/> never blocks.
    /// </summary>
    /// <returns>The number of payload bytes; 0 when the peer has closed.</returns>
    /// <exception cref="TimeoutException">Nothing arrived within <paramref name="timeout"/>.</exception>
    /// <exception cref="IOException">
    /// recvmsg failed, or the control data was truncated (more than <see cref="MaxFds"/> fds were
    /// sent); in that case the fds that did arrive are closed and none are appended.
    /// </exception>
    public static int Receive(Socket socket, Span<byte> buffer, List<int> fds, TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be non-negative or infinite.");
        }

        long deadline = timeout == Timeout.InfiniteTimeSpan ? 0 : Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds);
        while (true)
        {
            if (TryReceive(socket, buffer, fds, out int received))
            {
                return received;
            }

            using var lease = new SocketFd(socket);
            Wait(lease.Fd, LibC.POLLIN, timeout, deadline);
        }
    }

    /// <summary>
    /// Receives once if anything is there, without waiting: as <see cref="Receive(Socket, Span{byte}, List{int}, TimeSpan)"/>,
    /// but false (nothing received, no fds appended) when nothing has arrived yet. Wait for data
    /// without a thread by a zero-byte <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/>
    /// (on Linux a 1-byte MSG_PEEK: it consumes neither the data nor the fds riding on it).
    /// </summary>
    /// <param name="socket">A connected AF_UNIX stream socket.</param>
    /// <param name="buffer">Where the payload goes (not empty).</param>
    /// <param name="fds">Where the fds that came with it go.</param>
    /// <param name="received">The number of payload bytes; 0 when the peer has closed.</param>
    /// <exception cref="IOException">As <see cref="Receive(Socket, Span{byte}, List{int}, TimeSpan)"/>.</exception>
    public static unsafe bool TryReceive(Socket socket, Span<byte> buffer, List<int> fds, out int received)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(fds);
        if (buffer.IsEmpty)
        {
            throw new ArgumentException("The buffer must not be empty.", nameof(buffer));
        }

        byte* control = stackalloc byte[ControlSpace];
        using var lease = new SocketFd(socket);
        fixed (byte* data = buffer)
        {
            while (true)
            {
                new Span<byte>(control, ControlSpace).Clear();
                var iov = new IoVec { Base = data, Length = (nuint)buffer.Length };
                var msg = new MsgHdr { Iov = &iov, IovLen = 1, Control = control, ControlLen = (nuint)ControlSpace };
                nint result = LibC.RecvMsg(lease.Fd, &msg, LibC.MSG_CMSG_CLOEXEC | LibC.MSG_DONTWAIT);
                if (result < 0)
                {
                    int errno = Errno.Last;
                    if (errno == Errno.EAGAIN)
                    {
                        received = 0;
                        return false;
                    }

                    if (errno != Errno.EINTR)
                    {
                        throw Errno.ToException(errno, "recvmsg");
                    }

                    continue;
                }

                int before = fds.Count;
                CollectFds(control, (int)msg.ControlLen, fds);
                if ((msg.Flags & LibC.MSG_CTRUNC) != 0)
                {
                    int arrived = fds.Count - before;
                    for (int i = before; i < fds.Count; i++)
                    {
                        ListenSockets.Close(fds[i]);
                    }

                    fds.RemoveRange(before, arrived);
                    throw new IOException(
                        $"recvmsg: control data truncated (the peer sent more than {MaxFds} fds); closed the {arrived} that arrived");
                }

                received = (int)result;
                return true;
            }
        }
    }

    /// <summary>The peer's process, user and group ids at connect time (<c>SO_PEERCRED</c>).</summary>
    /// <exception cref="IOException">getsockopt failed (e.g. the socket is not AF_UNIX).</exception>
    public static (int Pid, uint Uid, uint Gid) GetPeerCredentials(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }: three 32-bit fields in host order.
        Span<byte> credentials = stackalloc byte[3 * sizeof(int)];
        int length;
        try
        {
            length = socket.GetRawSocketOption(LibC.SOL_SOCKET, LibC.SO_PEERCRED, credentials);
        }
        catch (SocketException ex)
        {
            throw new IOException($"getsockopt SO_PEERCRED: {ex.Message}", ex);
        }

        if (length < credentials.Length)
        {
            throw new IOException($"getsockopt SO_PEERCRED: {length} bytes, expected {credentials.Length}");
        }

        return (MemoryMarshal.Read<int>(credentials), MemoryMarshal.Read<uint>(credentials[4..]), MemoryMarshal.Read<uint>(credentials[8..]));
    }

    /// <summary>This process's effective user id (geteuid).</summary>
    public static uint GetEffectiveUid() => LibC.GetEUid();

    // Walks the cmsghdr chain (CMSG_FIRSTHDR/CMSG_NXTHDR) and appends every SCM_RIGHTS fd.
    private static unsafe void CollectFds(byte* control, int length, List<int> fds)
    {
        byte* end = control + length;
        byte* current = control;
        while (current + sizeof(CMsgHdr) <= end)
        {
            var header = (CMsgHdr*)current;
            if (header->Len < (nuint)CMsgHdr.DataOffset || header->Len > (nuint)(end - current))
            {
                return;
            }

            if (header->Level == LibC.SOL_SOCKET && header->Type == LibC.SCM_RIGHTS)
            {
                int count = ((int)header->Len - CMsgHdr.DataOffset) / sizeof(int);
                var received = new ReadOnlySpan<int>(current + CMsgHdr.DataOffset, count);
                foreach (int fd in received)
                {
                    fds.Add(fd);
                }
            }

            current += CMsgHdr.Align((int)header->Len);
        }
    }

    // Waits until fd is ready for `events` (or has an error or hang-up, which the retried call reports).
    private static unsafe void Wait(int fd, short events, TimeSpan timeout, long deadline)
    {
        while (true)
        {
            int remainingMs = timeout == Timeout.InfiniteTimeSpan
                ? -1
                : (int)Math.Clamp(deadline - Environment.TickCount64, 0, int.MaxValue);
            var poll = new PollFd { Fd = fd, Events = events };
            int ready = LibC.Poll(&poll, 1, remainingMs);
            if (ready > 0)
            {
                return;
            }

            if (ready == 0)
            {
                throw new TimeoutException($"No data on the fd-passing socket within {timeout.TotalMilliseconds:0} ms.");
            }

            int errno = Errno.Last;
            if (errno != Errno.EINTR)
            {
                throw Errno.ToException(errno, "poll");
            }
        }
    }
}
