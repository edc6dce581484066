using Baton.Hosting.Draining;
using Baton.Hosting.Handoff;
using Baton.Hosting.Health;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Supervision;
using Baton.Hosting.Systemd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Hosting;

/// <summary>Wires Baton's lifecycle into any ASP.NET Core app.</summary>
public static class BatonHostingExtensions
{
    /// <summary>
    /// Registers the phase machine, the signal lifetime, the drain, the listener table and the
    /// transport decorator that closes listeners Kestrel stopped accepting on.
    /// </summary>
    public static IServiceCollection AddBatonLifecycle(this IServiceCollection services, Action<LifecycleOptions> configure)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<LifecycleOptions>().Configure(configure).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LifecycleOptions>, LifecycleOptionsValidator>();
        services.AddSingleton<LifecycleState>();
        services.AddSingleton<ILifecycle>(sp => sp.GetRequiredService<LifecycleState>());
        services.AddSingleton<ShutdownCoordinator>();
        services.AddSingleton<ILifecycleController>(sp => sp.GetRequiredService<ShutdownCoordinator>());
        services.AddSingleton<ConnectionTracker>();
        services.AddSingleton<ShutdownOutcome>();
        services.AddSingleton<ProcessIdentity>();
        services.AddSingleton<Diagnostics.BatonMetrics>();
        services.TryAddSingleton<ListenerTable>();
        services.AddSingleton<IHostLifetime, BatonHostLifetime>();
        services.AddHostedService<DrainCoordinator>();

        // The host's own stop timeout is only a backstop: the drain deadline acts first.
        services.AddOptions<HostOptions>().Configure<IOptions<LifecycleOptions>>((host, lifecycle) =>
            host.ShutdownTimeout = lifecycle.Value.DrainTimeout + lifecycle.Value.FastStopTimeout + TimeSpan.FromSeconds(10));

        // Registered after Kestrel's own socket transport, so Kestrel picks this one.
        services.TryAddSingleton<ListenerKeys>();
        services.AddSingleton<IConnectionListenerFactory>(sp => new OwnedListenerFactory(
            new SocketTransportFactory(sp.GetRequiredService<IOptions<SocketTransportOptions>>(), sp.GetRequiredService<ILoggerFactory>()),
            sp.GetRequiredService<ListenerTable>(),
            sp.GetRequiredService<ListenerKeys>(),
            sp.GetRequiredService<IOptions<SocketTransportOptions>>().Value.Backlog));
        return services;
    }

    /// <summary>Counts requests for the drain and answers Baton's health and control endpoints. Put it first.</summary>
    public static IApplicationBuilder UseBatonLifecycle(this IApplicationBuilder app)
    {
        app.UseMiddleware<RequestTrackingMiddleware>();
        app.UseMiddleware<BatonEndpointsMiddleware>();
        app.UseMiddleware<HandBackMiddleware>();
        return app;
    }

    /// <summary>Tracks every connection this listener accepts (add it before <c>UseHttps</c>).</summary>
    public static ListenOptions UseBatonTracking(this ListenOptions listenOptions, ListenerInfo listener)
    {
        var tracker = listenOptions.ApplicationServices.GetRequiredService<ConnectionTracker>();
        listenOptions.Use(next =>
        {
            // Decided when Kestrel builds the listener's pipeline, after its Protocols are set: a
            // listener that cannot speak HTTP/2 gets neither wrapper, so HTTP/1.1 pays for no extra
            // pipe layer on its hot path.
            bool http2 = (listenOptions.Protocols & HttpProtocols.Http2) != 0;
            return async connection =>
            {
                var lingering = http2 ? new LingeringInput(connection.Transport) : null;
                var tracked = tracker.ConnectionOpened(connection, listener);
                if (lingering is not null)
                {
                    connection.Transport = tracked.Http2Close = new Http2CloseGuard(lingering);
                }

                connection.Features.Set(tracked);
                try
                {
                    await next(connection).ConfigureAwait(false);
                }
                finally
                {
                    // An HTTP/2 connection the drain closed: read until the client's FIN, so the socket
                    // closes with FIN, not RST (see LingeringInput).
                    if (lingering is not null)
                    {
                        await lingering.FinishAsync(linger: tracked.IsHttp2 && tracked.CloseRequested).ConfigureAwait(false);
                    }

                    tracker.ConnectionClosed(tracked);
                }
            };
        });
        return listenOptions;
    }
}
