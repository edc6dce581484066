using Baton.Hosting.Draining;
using Baton.Hosting.Handoff;
using Baton.Hosting.Health;
using Microsoft.Extensions.DependencyInjection;

namespace Baton.Hosting;

/// <summary>Baton's health and control endpoints on a listener of their own.</summary>
public static class BatonAdminExtensions
{
    /// <summary>
    /// Serves Baton's health and control endpoints (readiness, liveness, <c>/status</c>,
    /// <c>/prestop</c>, <c>/upgrade</c>) on their own Kestrel server at <paramref name="endPoint"/>,
    /// which keeps answering through the whole drain, until the process exits. Its socket is handed
    /// over under <paramref name="key"/> like the app's own. Needs
    /// <see cref="BatonUpgradeExtensions.AddBatonUpgrades(IServiceCollection, bool)"/>, whose start-up
    /// starts it before the process reports ready. Keep it on loopback or a Unix socket.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="endPoint">Loopback TCP or a Unix socket.</param>
    /// <param name="key">Its key in the handoff, for example <c>"@admin"</c>.</param>
    /// <param name="backlog">Its listen backlog. Defaults to Kestrel's.</param>
    /// <param name="unixMode">The mode of its Unix socket file, for example 0600. Defaults to the umask's.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddBatonAdminServer(this IServiceCollection services, System.Net.EndPoint endPoint, string key, int? backlog = null, UnixFileMode? unixMode = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentException.ThrowIfNullOrEmpty(key);
        services.AddSingleton(sp => new AdminServer(sp, new ListenerInfo(key, IsAdmin: true, ServesHealth: true), endPoint, backlog, unixMode));
        services.AddSingleton<IServerBeforeReady>(sp => sp.GetRequiredService<AdminServer>());
        return services;
    }
}
