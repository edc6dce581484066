using Baton.Hosting.Draining;
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
/// the same way). After an upgrade's handoff the old process takes no new admin connections
/// (its listening fds leave the epoll set), so probes reach the new process only. Its pipeline is
/// Baton's endpoints and a 404; nothing is proxied.
/// </summary>
public sealed class AdminServer : IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly ListenerInfo _listener;
    private readonly KestrelServer _server;
    private bool _started;

    /// <param name="services">The app's services (the lifecycle, the tracker, the listener table).</param>
    /// <param name="listener">What the admin listener is (its name; <see cref="ListenerInfo.IsAdmin"/> true).</param>
    public AdminServer(IServiceProvider services, ListenerInfo listener)
    {
        _services = services;
        _listener = listener;
        Options = new KestrelServerOptions { ApplicationServices = services, AddServerHeader = false };
        _server = new KestrelServer(Microsoft.Extensions.Options.Options.Create(Options),
            services.GetRequiredService<IConnectionListenerFactory>(), services.GetRequiredService<ILoggerFactory>());
    }

    /// <summary>Where the admin listener is added (<c>ListenHandle</c>) before <see cref="StartAsync"/>.</summary>
    public KestrelServerOptions Options { get; }

    /// <summary>Starts accepting on the admin listener.</summary>
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

    /// <summary>Stops it: the last thing before the process exits.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await _server.StopAsync(cts.Token).ConfigureAwait(false);
        }

        _server.Dispose();
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
