using System.Runtime.InteropServices;

namespace Baton.Hosting.Interop;

/// <summary>
/// <c>struct cmsghdr</c> on 64-bit Linux (16 bytes), followed by its data. The helpers are the C
/// macros: every header and data block is aligned to <c>sizeof(size_t)</c>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CMsgHdr
{
    public nuint Len;
    public int Level;
    public int Type;

    /// <summary><c>CMSG_ALIGN(length)</c>.</summary>
    public static int Align(int length) => (length + IntPtr.Size - 1) & ~(IntPtr.Size - 1);

    /// <summary><c>CMSG_LEN(0)</c>: where the data starts, counted from the header.</summary>
    public static unsafe int DataOffset => Align(sizeof(CMsgHdr));

    /// <summary><c>CMSG_LEN(dataLength)</c>: the value for <see cref="Len"/>.</summary>
    public static int LengthFor(int dataLength) => DataOffset + dataLength;

    /// <summary><c>CMSG_SPACE(dataLength)</c>: the bytes one message occupies in a control buffer.</summary>
    public static int SpaceFor(int dataLength) => DataOffset + Align(dataLength);
}
