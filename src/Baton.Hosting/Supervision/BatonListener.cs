using System.Net;

namespace Baton.Hosting.Supervision;

/// <summary>A listening socket the supervisor owns for its workers.</summary>
/// <param name="Key">Its stable key: a worker, and the next supervisor of an upgrade, adopts it by this key.</param>
/// <param name="EndPoint">The address to bind when no socket was handed in under <paramref name="Key"/>.</param>
/// <param name="Backlog">The listen backlog.</param>
/// <param name="UnixMode">The mode of a Unix socket file it binds, whatever the umask; null keeps the umask's.</param>
public sealed record BatonListener(string Key, EndPoint EndPoint, int Backlog, UnixFileMode? UnixMode = null);
