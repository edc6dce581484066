using Baton.Hosting.Draining;
using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting.Health;

/// <summary>
/// The admin listener on a Kestrel server of its own, so that it keeps answering while the main
/// server stops: readiness 503 and <c>/status</c> with the drain's progress can be watched through
/// the whole drain, until the process exits (nginx and Envoy keep their status/admin endpoints up
/// the same way). After an upgrade's handoff the old process stops its admin server at once (the
/// new process answers on the same socket), so probes reach the new process only. Its pipeline is
/// Baton's endpoints and a 404; nothing is proxied.
/// </summary>
internal sealed class AdminServer : IServerBeforeReady, IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly ListenerInfo _listener;
    private readonly KestrelServer _server;
    private bool _started;
    private bool _disposed;
    private Task? _stopped;

    /// <param name="services">The app's services (the lifecycle, the tracker, the listener table).</param>
    /// <param name="listener">What the admin listener is (its name; <see cref="ListenerInfo.IsAdmin"/> true).</param>
    /// <param name="endPoint">Where it listens (loopback TCP or a Unix socket); handed over under <see cref="ListenerInfo.Name"/>.</param>
    /// <param name="backlog">Its listen backlog; null: Kestrel's default.</param>
    /// <param name="unixMode">The mode of its Unix socket file; null: the umask's.</param>
    public AdminServer(IServiceProvider services, ListenerInfo listener, System.Net.EndPoint endPoint, int? backlog = null, UnixFileMode? unixMode = null)
    {
        _services = services;
        _listener = listener;
        Options = new KestrelServerOptions { ApplicationServices = services, AddServerHeader = false };
        Options.Listen(endPoint, lo =>
        {
            lo.UseBatonHandoffKey(listener.Name, backlog, unixMode);
            lo.Protocols = HttpProtocols.Http1;
        });
        _server = new KestrelServer(Microsoft.Extensions.Options.Options.Create(Options),
            services.GetRequiredService<IConnectionListenerFactory>(), services.GetRequiredService<ILoggerFactory>());
        // After a handoff the new process answers on the same address: let go of it at once.
        services.GetRequiredService<LifecycleState>().PhaseChanged += (previous, now) =>
        {
            if (now == LifecyclePhase.UpgradeDraining)
            {
                _ = StopAsync();
            }
        };
    }

    private KestrelServerOptions Options { get; }

    /// <summary>Starts accepting on the admin listener (the new process's start-up does it, before ready).</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var app = new ApplicationBuilder(_services);
        app.UseMiddleware<BatonEndpointsMiddleware>();
        app.Run(static context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        _started = true;
        return _server.StartAsync(new Application(app.Build(), _services, _listener), cancellationToken);
    }

    /// <summary>Stops it: the last thing before the process exits (or right after an upgrade's handoff).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        lock (_server)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _server.Dispose();
    }

    public Task StopAsync()
    {
        lock (_server)
        {
            return _stopped ??= _started ? StopServerAsync() : Task.CompletedTask;
        }
    }

    private async Task StopServerAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _server.StopAsync(cts.Token).ConfigureAwait(false);
    }

    private sealed class Application(RequestDelegate pipeline, IServiceProvider services, ListenerInfo listener) : IHttpApplication<HttpContext>
    {
        public HttpContext CreateContext(IFeatureCollection contextFeatures)
        {
            contextFeatures.Set(listener);
            return new DefaultHttpContext(contextFeatures) { RequestServices = services };
        }

        public Task ProcessRequestAsync(HttpContext context) => pipeline(context);

        public void DisposeContext(HttpContext context, Exception? exception)
        {
        }
    }
}
