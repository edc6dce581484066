using System.Runtime.InteropServices;

namespace Baton.Hosting.Interop;

/// <summary>
/// <c>struct msghdr</c> on 64-bit Linux (56 bytes). glibc declares <c>msg_iovlen</c> and
/// <c>msg_controllen</c> as <c>size_t</c>; musl declares them as <c>int</c> plus padding, which is
/// the same layout on little-endian machines as long as the padding is zero.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLen;
    public IoVec* Iov;
    public nuint IovLen;
    public void* Control;
    public nuint ControlLen;
    public int Flags;
}
