using System.Runtime.InteropServices;

namespace Baton.Hosting.Interop;

/// <summary><c>struct ucred</c>, as returned by <c>SO_PEERCRED</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UCred
{
    public int Pid;
    public uint Uid;
    public uint Gid;
}
