using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Baton.Hosting.Interop;

/// <summary>
/// Linux errno values (x86_64 and aarch64 share them), their <see cref="SocketError"/> equivalents,
/// and the one way this folder turns a failed call into an exception.
/// </summary>
internal static class Errno
{
    internal const int EPERM = 1;
    internal const int ENOENT = 2;
    internal const int EINTR = 4;
    internal const int EBADF = 9;
    internal const int EAGAIN = 11;
    internal const int ENOMEM = 12;
    internal const int EACCES = 13;
    internal const int EFAULT = 14;
    internal const int EINVAL = 22;
    internal const int ENFILE = 23;
    internal const int EMFILE = 24;
    internal const int EPIPE = 32;
    internal const int ENAMETOOLONG = 36;
    internal const int ENOTSOCK = 88;
    internal const int EDESTADDRREQ = 89;
    internal const int EMSGSIZE = 90;
    internal const int EPROTOTYPE = 91;
    internal const int ENOPROTOOPT = 92;
    internal const int EPROTONOSUPPORT = 93;
    internal const int ESOCKTNOSUPPORT = 94;
    internal const int EOPNOTSUPP = 95;
    internal const int EPFNOSUPPORT = 96;
    internal const int EAFNOSUPPORT = 97;
    internal const int EADDRINUSE = 98;
    internal const int EADDRNOTAVAIL = 99;
    internal const int ENETDOWN = 100;
    internal const int ENETUNREACH = 101;
    internal const int ENETRESET = 102;
    internal const int ECONNABORTED = 103;
    internal const int ECONNRESET = 104;
    internal const int ENOBUFS = 105;
    internal const int EISCONN = 106;
    internal const int ENOTCONN = 107;
    internal const int ESHUTDOWN = 108;
    internal const int ETIMEDOUT = 110;
    internal const int ECONNREFUSED = 111;
    internal const int EHOSTDOWN = 112;
    internal const int EHOSTUNREACH = 113;
    internal const int EALREADY = 114;
    internal const int EINPROGRESS = 115;
    internal const int ECANCELED = 125;

    /// <summary>The errno of the last P/Invoke on this thread.</summary>
    public static int Last => Marshal.GetLastPInvokeError();

    /// <summary>
    /// Maps errno to <see cref="SocketError"/> the way .NET's own socket layer does;
    /// anything unlisted becomes <see cref="SocketError.SocketError"/>.
    /// </summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        EPERM or EACCES => SocketError.AccessDenied,
        ENOENT or EADDRNOTAVAIL => SocketError.AddressNotAvailable,
        EINTR => SocketError.Interrupted,
        EBADF or ECANCELED => SocketError.OperationAborted,
        EAGAIN => SocketError.WouldBlock,
        ENOMEM or ENOBUFS => SocketError.NoBufferSpaceAvailable,
        EFAULT => SocketError.Fault,
        EINVAL => SocketError.InvalidArgument,
        ENFILE or EMFILE => SocketError.TooManyOpenSockets,
        EPIPE => SocketError.Shutdown,
        ENOTSOCK => SocketError.NotSocket,
        EDESTADDRREQ => SocketError.DestinationAddressRequired,
        EMSGSIZE => SocketError.MessageSize,
        EPROTOTYPE => SocketError.ProtocolType,
        ENOPROTOOPT => SocketError.ProtocolOption,
        EPROTONOSUPPORT => SocketError.ProtocolNotSupported,
        ESOCKTNOSUPPORT => SocketError.SocketNotSupported,
        EOPNOTSUPP => SocketError.OperationNotSupported,
        EPFNOSUPPORT => SocketError.ProtocolFamilyNotSupported,
        EAFNOSUPPORT => SocketError.AddressFamilyNotSupported,
        EADDRINUSE => SocketError.AddressAlreadyInUse,
        ENETDOWN => SocketError.NetworkDown,
        ENETUNREACH => SocketError.NetworkUnreachable,
        ENETRESET => SocketError.NetworkReset,
        ECONNABORTED => SocketError.ConnectionAborted,
        ECONNRESET => SocketError.ConnectionReset,
        EISCONN => SocketError.IsConnected,
        ENOTCONN => SocketError.NotConnected,
        ESHUTDOWN => SocketError.Disconnecting,
        ETIMEDOUT => SocketError.TimedOut,
        ECONNREFUSED => SocketError.ConnectionRefused,
        EHOSTDOWN => SocketError.HostDown,
        EHOSTUNREACH => SocketError.HostUnreachable,
        EALREADY => SocketError.AlreadyInProgress,
        EINPROGRESS => SocketError.InProgress,
        _ => SocketError.SocketError,
    };

    /// <summary>strerror(errno) with a lower-case first letter: "address already in use".</summary>
    public static string Describe(int errno)
    {
        string text = Marshal.GetPInvokeErrorMessage(errno);
        return text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1])
            ? char.ToLowerInvariant(text[0]) + text[1..]
            : text;
    }

    /// <summary>
    /// An <see cref="IOException"/> reading "<paramref name="operation"/>: address already in use",
    /// wrapping a <see cref="SocketException"/> that carries the mapped <see cref="SocketError"/>.
    /// Pass <see cref="Last"/> first: the arguments are evaluated left to right, and building the
    /// operation text (e.g. formatting an endpoint) may make other P/Invokes that overwrite errno.
    /// </summary>
    public static IOException ToException(int errno, string operation) =>
        new($"{operation}: {Describe(errno)}", new SocketException((int)ToSocketError(errno)));
}
