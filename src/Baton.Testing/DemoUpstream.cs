using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Baton.Testing;

/// <summary>
/// A built-in upstream on loopback for the demo and the tests: <c>/</c> a small body,
/// <c>/slow?ms=N</c> answers after N ms, <c>/stream?chunks=N&amp;ms=M</c> a chunked body,
/// <c>/echo</c> echoes a POST body, <c>/ws</c> a WebSocket echo, <c>/whoami</c> its name.
/// Answers <c>X-Upstream</c> with its name.
/// </summary>
public sealed class DemoUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DemoUpstream(WebApplication app, string name, int port)
    {
        _app = app;
        Name = name;
        Port = port;
    }

    public string Name { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/";

    public static async Task<DemoUpstream> StartAsync(string name, int port = 0)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "baton-upstream" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, port, lo => lo.Protocols = HttpProtocols.Http1AndHttp2);
        });
        builder.Services.AddRouting();
        var app = builder.Build();
        app.UseWebSockets();
        app.Use((ctx, next) =>
        {
            ctx.Response.Headers["X-Upstream"] = name;
            return next(ctx);
        });
        app.MapGet("/", () => Results.Text("hello from " + name + "\n"));
        app.MapGet("/whoami", () => Results.Text(name));
        app.MapGet("/slow", async (int? ms, CancellationToken ct) =>
        {
            await Task.Delay(ms ?? 1000, ct).ConfigureAwait(false);
            return Results.Text("slow done\n");
        });
        app.MapGet("/stream", async (HttpContext ctx, int? chunks, int? ms) =>
        {
            for (int i = 0; i < (chunks ?? 5); i++)
            {
                await ctx.Response.WriteAsync($"chunk {i}\n", ctx.RequestAborted).ConfigureAwait(false);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
                await Task.Delay(ms ?? 50, ctx.RequestAborted).ConfigureAwait(false);
            }
        });
        app.MapPost("/echo", async (HttpContext ctx) =>
        {
            ctx.Response.ContentType = ctx.Request.ContentType ?? "application/octet-stream";
            await ctx.Request.Body.CopyToAsync(ctx.Response.Body, ctx.RequestAborted).ConfigureAwait(false);
        });
        app.Map("/ws", async (HttpContext ctx) =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest)
            {
                ctx.Response.StatusCode = 400;
                return;
            }

            using var ws = await ctx.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            var buffer = new byte[16 * 1024];
            while (ws.State == WebSocketState.Open)
            {
                WebSocketReceiveResult r;
                try
                {
                    r = await ws.ReceiveAsync(buffer, ctx.RequestAborted).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                {
                    return;
                }

                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
                    return;
                }

                await ws.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, ctx.RequestAborted).ConfigureAwait(false);
            }
        });
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Urls.First();
        var actualPort = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal)).Port;
        return new DemoUpstream(app, name, actualPort);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
