using System.Runtime.InteropServices;

namespace Baton.Hosting.Interop;

/// <summary>
/// Stopping a listener without resetting connections the kernel already completed: closing a
/// listening socket resets every connection still in its accept queue. Before the last holder
/// closes it, Baton makes the socket drop new handshakes (a one-instruction socket filter that
/// returns 0), lets the server accept what is queued, then closes. Clients whose SYN was dropped
/// retry and are refused — never reset after connecting.
/// </summary>
internal static unsafe partial class ListenSockets
{
    private const int SO_ATTACH_FILTER = 26;
    private const int SO_DETACH_FILTER = 27;
    private const int IPPROTO_TCP = 6;
    private const int TCP_INFO = 11;

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFilter
    {
        public ushort Code;
        public byte Jt;
        public byte Jf;
        public uint K;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFprog
    {
        public ushort Len;
        public SockFilter* Filter;
    }

    /// <summary>Drops every new handshake on this listening socket (for every process that holds it).</summary>
    public static bool DropNewConnections(int fd)
    {
        var ret0 = new SockFilter { Code = 0x06 /* BPF_RET | BPF_K */, K = 0 };
        var program = new SockFprog { Len = 1, Filter = &ret0 };
        return LibC.SetSockOpt(fd, LibC.SOL_SOCKET, SO_ATTACH_FILTER, &program, (uint)sizeof(SockFprog)) == 0;
    }

    /// <summary>Removes the filter of <see cref="DropNewConnections"/>.</summary>
    public static void AllowNewConnections(int fd)
    {
        int unused = 0;
        _ = LibC.SetSockOpt(fd, LibC.SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(int));
    }

    /// <summary>Connections completed by the kernel and not yet accepted (TCP only; -1 otherwise).</summary>
    public static int AcceptQueueLength(int fd)
    {
        // struct tcp_info: 8 bytes of u8 fields, then u32 rto, ato, snd_mss, rcv_mss, unacked; for a
        // listening socket tcpi_unacked is the accept queue's length (sk_ack_backlog).
        byte* info = stackalloc byte[256];
        uint length = 256;
        return LibC.GetSockOpt(fd, IPPROTO_TCP, TCP_INFO, info, &length) == 0 && length >= 28 ? *(int*)(info + 24) : -1;
    }
}
