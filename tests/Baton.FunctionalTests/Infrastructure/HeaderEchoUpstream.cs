using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Baton.FunctionalTests.Infrastructure;

/// <summary>
/// A real Kestrel upstream on an ephemeral loopback port that answers every request with the
/// request headers it received, as a JSON object (name → comma-joined values), and sets the
/// hop-by-hop response headers a proxy must not pass on.
/// </summary>
public sealed class HeaderEchoUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HeaderEchoUpstream(WebApplication app, int port)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}/";
    }

    public string Url { get; }

    public static async Task<HeaderEchoUpstream> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "baton-header-echo" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(ctx =>
        {
            var headers = ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            ctx.Response.Headers["Keep-Alive"] = "timeout=5";
            ctx.Response.Headers["X-Upstream-End-To-End"] = "kept";
            return ctx.Response.WriteAsJsonAsync(headers);
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        return new HeaderEchoUpstream(app, port);
    }

    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(deadline.Token);
        await _app.DisposeAsync();
    }
}
