using System.Runtime.InteropServices;

namespace Baton.Hosting.Interop;

/// <summary><c>struct iovec</c>: one buffer of a scatter/gather list.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}
