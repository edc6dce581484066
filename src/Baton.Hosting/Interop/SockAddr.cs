using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Baton.Hosting.Interop;

/// <summary>
/// Builds and parses <c>sockaddr_in</c>, <c>sockaddr_in6</c> and <c>sockaddr_un</c> byte by byte,
/// so no managed <see cref="Socket"/> ever owns a listener's fd. Family fields are in host order,
/// ports and flow info in network order.
/// </summary>
internal static class SockAddr
{
    /// <summary><c>sizeof(struct sockaddr_storage)</c>: large enough for any of the three.</summary>
    public const int MaxSize = 128;

    private const int InSize = 16;
    private const int In6Size = 28;
    private const int UnPathOffset = 2;
    private const int UnPathMax = 108;

    /// <summary>The <c>AF_*</c> value for an endpoint this class can encode.</summary>
    public static int FamilyOf(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint { AddressFamily: AddressFamily.InterNetwork } => LibC.AF_INET,
        IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } => LibC.AF_INET6,
        UnixDomainSocketEndPoint => LibC.AF_UNIX,
        _ => throw new ArgumentException(
            $"Unsupported endpoint '{endPoint}' ({endPoint.GetType().Name}); expected an IPv4, IPv6 or Unix domain socket endpoint.",
            nameof(endPoint)),
    };

    /// <summary>Maps an <c>AF_*</c> value to <see cref="AddressFamily"/> (<see cref="AddressFamily.Unknown"/> if not one of the three).</summary>
    public static AddressFamily ToAddressFamily(int family) => family switch
    {
        LibC.AF_INET => AddressFamily.InterNetwork,
        LibC.AF_INET6 => AddressFamily.InterNetworkV6,
        LibC.AF_UNIX => AddressFamily.Unix,
        _ => AddressFamily.Unknown,
    };

    /// <summary>Encodes <paramref name="endPoint"/> into <paramref name="buffer"/> (at least <see cref="MaxSize"/> bytes) and returns its length.</summary>
    public static int Write(EndPoint endPoint, Span<byte> buffer)
    {
        int family = FamilyOf(endPoint);
        buffer[..MaxSize].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)family);
        switch (endPoint)
        {
            case IPEndPoint ip when family == LibC.AF_INET:
                BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)ip.Port);
                ip.Address.TryWriteBytes(buffer.Slice(4, 4), out _);
                return InSize;
            case IPEndPoint ip:
                BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)ip.Port);
                // sin6_flowinfo (offset 4) stays zero.
                ip.Address.TryWriteBytes(buffer.Slice(8, 16), out _);
                BinaryPrimitives.WriteUInt32LittleEndian(buffer[24..], (uint)ip.Address.ScopeId);
                return In6Size;
            default:
                ReadOnlySpan<byte> path = UnixPathBytes((UnixDomainSocketEndPoint)endPoint);
                path.CopyTo(buffer[UnPathOffset..]);
                return UnPathOffset + path.Length;
        }
    }

    /// <summary>
    /// Decodes the first <paramref name="length"/> bytes of a <c>getsockname</c> result; null for an
    /// unnamed Unix socket or a family other than the three.
    /// </summary>
    public static EndPoint? Read(ReadOnlySpan<byte> address, int length)
    {
        if (length < UnPathOffset)
        {
            return null;
        }

        address = address[..Math.Min(length, address.Length)];
        int family = BinaryPrimitives.ReadUInt16LittleEndian(address);
        switch (family)
        {
            case LibC.AF_INET when address.Length >= InSize:
                return new IPEndPoint(new IPAddress(address.Slice(4, 4)), BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
            case LibC.AF_INET6 when address.Length >= In6Size:
                var ip6 = new IPAddress(address.Slice(8, 16), BinaryPrimitives.ReadUInt32LittleEndian(address[24..]));
                return new IPEndPoint(ip6, BinaryPrimitives.ReadUInt16BigEndian(address[2..]));
            case LibC.AF_UNIX:
                ReadOnlySpan<byte> path = address[UnPathOffset..];
                if (path.IsEmpty)
                {
                    return null;
                }

                if (path[0] != 0)
                {
                    int nul = path.IndexOf((byte)0);
                    path = nul >= 0 ? path[..nul] : path;
                    return path.IsEmpty ? null : new UnixDomainSocketEndPoint(Encoding.UTF8.GetString(path));
                }

                // Linux abstract name: a leading NUL, then bytes that are not NUL-terminated.
                return new UnixDomainSocketEndPoint("\0" + Encoding.UTF8.GetString(path[1..]));
            default:
                return null;
        }
    }

    /// <summary>
    /// The file system path of a pathname Unix endpoint, or null for an abstract one (which has no
    /// file to clean up).
    /// </summary>
    public static string? UnixFilePath(UnixDomainSocketEndPoint endPoint)
    {
        ReadOnlySpan<byte> path = UnixPathBytes(endPoint);
        return path.IsEmpty || path[0] == 0 ? null : Encoding.UTF8.GetString(path.TrimEnd((byte)0));
    }

    // UnixDomainSocketEndPoint keeps its path private; Serialize() returns the sun_path bytes as .NET
    // encoded them (NUL-terminated for a pathname, not for an abstract name) after the 2-byte family.
    private static ReadOnlySpan<byte> UnixPathBytes(UnixDomainSocketEndPoint endPoint)
    {
        SocketAddress serialized = endPoint.Serialize();
        ReadOnlySpan<byte> path = serialized.Buffer.Span[UnPathOffset..serialized.Size];
        if (path.Length > UnPathMax)
        {
            throw new ArgumentException($"Unix socket path '{endPoint}' is longer than {UnPathMax - 1} bytes.", nameof(endPoint));
        }

        return path;
    }
}
