using Baton.Hosting.Handoff;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Baton.Hosting;

/// <summary>Names a Kestrel endpoint for the handoff.</summary>
public static class BatonListenOptionsExtensions
{
    /// <summary>
    /// Gives this endpoint a stable key: an upgrade hands its socket to the new process under that
    /// key, and the new process adopts it by key (else by address). Without a key, the endpoint's
    /// address is its key. Only for endpoints Kestrel binds by address (<c>Listen</c>,
    /// <c>ListenUnixSocket</c>); call it inside the endpoint's configure callback.
    /// </summary>
    /// <param name="listenOptions">The endpoint.</param>
    /// <param name="key">The key, for example <c>"public"</c>.</param>
    /// <param name="backlog">Its listen backlog. Defaults to Kestrel's <c>SocketTransportOptions.Backlog</c> (512).</param>
    /// <param name="unixMode">The mode of a Unix socket file this binds, whatever the umask (for example 0600 for an
    /// admin socket). Defaults to null: the umask's.</param>
    /// <returns><paramref name="listenOptions"/>.</returns>
    public static ListenOptions UseBatonHandoffKey(this ListenOptions listenOptions, string key, int? backlog = null, UnixFileMode? unixMode = null)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        ArgumentException.ThrowIfNullOrEmpty(key);
        listenOptions.ApplicationServices.GetRequiredService<ListenerKeys>().Set(listenOptions.EndPoint, new ListenerKey(key, backlog, unixMode));
        return listenOptions;
    }
}
