using System.Net;
using System.Net.Sockets;

namespace Baton.Hosting.Interop;

/// <summary>Facts about a validated listening socket fd.</summary>
/// <param name="Fd">The file descriptor.</param>
/// <param name="Family">The socket's address family (<c>SO_DOMAIN</c>).</param>
/// <param name="LocalEndPoint">
/// The bound address from <c>getsockname</c>: an <see cref="IPEndPoint"/> for IPv4/IPv6, a
/// <see cref="UnixDomainSocketEndPoint"/> for a named Unix socket, null otherwise.
/// </param>
internal readonly record struct ListenerFdInfo(int Fd, AddressFamily Family, EndPoint? LocalEndPoint);
