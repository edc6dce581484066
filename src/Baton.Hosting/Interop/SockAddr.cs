using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Baton.Hosting.Interop;

/// <summary>
/// What the raw socket calls need of an endpoint that .NET does not hand out directly: the
/// <c>AF_*</c> number for socket(2), and a Unix endpoint's file. The <c>sockaddr</c> itself is
/// .NET's: <see cref="EndPoint.Serialize"/> gives a <see cref="SocketAddress"/> whose buffer is the
/// native <c>sockaddr_in</c>, <c>sockaddr_in6</c> or <c>sockaddr_un</c> on Linux.
/// </summary>
internal static class SockAddr
{
    private const int UnPathOffset = 2;
    private const int UnPathMax = 108;

    /// <summary>The <c>AF_*</c> value for an endpoint Baton listens on.</summary>
    /// <exception cref="ArgumentException">Not an IPv4, IPv6 or Unix domain socket endpoint.</exception>
    public static int FamilyOf(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint { AddressFamily: AddressFamily.InterNetwork } => LibC.AF_INET,
        IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } => LibC.AF_INET6,
        UnixDomainSocketEndPoint => LibC.AF_UNIX,
        _ => throw new ArgumentException(
            $"Unsupported endpoint '{endPoint}' ({endPoint.GetType().Name}); expected an IPv4, IPv6 or Unix domain socket endpoint.",
            nameof(endPoint)),
    };

    /// <summary>The native <c>sockaddr</c> of <paramref name="endPoint"/>, for bind(2).</summary>
    /// <exception cref="ArgumentException">A Unix path longer than <c>sun_path</c> holds, or an unsupported endpoint.</exception>
    public static SocketAddress Of(EndPoint endPoint)
    {
        FamilyOf(endPoint);
        if (endPoint is UnixDomainSocketEndPoint unix)
        {
            UnixPathBytes(unix);
        }

        return endPoint.Serialize();
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
