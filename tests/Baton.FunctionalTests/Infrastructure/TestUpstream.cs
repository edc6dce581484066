using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Baton.FunctionalTests.Infrastructure;

/// <summary>
/// A real Kestrel upstream on an ephemeral loopback port that runs the handler the test gives it,
/// for behaviour the demo upstream does not have: echoing request headers, holding a response
/// open on a <see cref="TaskCompletionSource"/> the test completes.
/// </summary>
public sealed class TestUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestUpstream(WebApplication app, int port)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}/";
    }

    public string Url { get; }

    public static async Task<TestUpstream> StartAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "baton-test-upstream" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        return new TestUpstream(app, new Uri(app.Urls.First()).Port);
    }

    /// <summary>
    /// Answers with the request headers it received as a JSON object (lower-case name → value),
    /// and sets a hop-by-hop (<c>Keep-Alive</c>) and an end-to-end response header.
    /// </summary>
    public static Task<TestUpstream> StartHeaderEchoAsync() => StartAsync(ctx =>
    {
        ctx.Response.Headers["Keep-Alive"] = "timeout=5";
        ctx.Response.Headers["X-Upstream-End-To-End"] = "kept";
        return ctx.Response.WriteAsJsonAsync(ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()));
    });

    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(deadline.Token);
        await _app.DisposeAsync();
    }
}
