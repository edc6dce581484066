using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Draining;
using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting.Health;

/// <summary>
/// Answers Baton's own endpoints before anything is proxied. On the admin listener (loopback or a
/// Unix socket only): health, <c>POST /prestop</c>, <c>GET /status</c>, <c>POST /upgrade</c>,
/// <c>POST /healthcheck/fail|ok</c>, and 404 for anything else. On a public listener configured
/// with health endpoints: <c>/livez</c>, <c>/readyz</c>, <c>/health</c> only.
/// </summary>
internal sealed partial class BatonEndpointsMiddleware
{
    private readonly RequestDelegate _next;
    private readonly LifecycleState _lifecycle;

    public BatonEndpointsMiddleware(RequestDelegate next, LifecycleState lifecycle)
    {
        _next = next;
        _lifecycle = lifecycle;
    }

    public Task InvokeAsync(HttpContext context)
    {
        // The main server's connections carry their TrackedConnection; the AdminServer's requests the ListenerInfo itself.
        var listener = context.Features.Get<TrackedConnection>()?.Listener ?? context.Features.Get<ListenerInfo>();
        if (listener is null || (!listener.IsAdmin && !listener.ServesHealth))
        {
            return _next(context);
        }

        var path = context.Request.Path.Value;
        if (listener.IsAdmin && AdminRequestGuard.Refusal(context) is { } refusal)
        {
            return RefuseAsync(context, path, refusal);
        }

        var get = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        switch (path)
        {
            case "/livez" when get:
                return Write(context, 200, HealthResponses.Alive);
            case "/readyz" when get:
                return _lifecycle.IsReadyNow()
                    ? Write(context, 200, HealthResponses.Ready)
                    : Write(context, 503, HealthResponses.NotReady);
            case "/health" when get:
                return _lifecycle.Phase.IsShuttingDown()
                    ? Write(context, 503, HealthResponses.ShuttingDown)
                    : Write(context, 200, HealthResponses.Healthy);
        }

        return listener.IsAdmin ? AdminAsync(context, path) : _next(context);
    }

    private async Task AdminAsync(HttpContext context, string? path)
    {
        var services = context.RequestServices;
        var post = HttpMethods.IsPost(context.Request.Method);
        switch (path)
        {
            case "/status" when HttpMethods.IsGet(context.Request.Method):
                await WriteJson(context, 200, StatusReport.Create(services), AdminJsonContext.Default.DictionaryStringObject).ConfigureAwait(false);
                return;
            case "/prestop" when post:
                await services.GetRequiredService<ILifecycleController>().PreStopAsync(context.RequestAborted).ConfigureAwait(false);
                await WriteJson(context, 200, new Dictionary<string, object> { ["status"] = "draining", ["pid"] = Environment.ProcessId }, AdminJsonContext.Default.DictionaryStringObject).ConfigureAwait(false);
                return;
            case "/healthcheck/fail" when post:
                await services.GetRequiredService<ShutdownCoordinator>().MarkHealthAsync(true, "POST /healthcheck/fail").ConfigureAwait(false);
                await Write(context, 200, HealthResponses.NotReady).ConfigureAwait(false);
                return;
            case "/healthcheck/ok" when post:
                await services.GetRequiredService<ShutdownCoordinator>().MarkHealthAsync(false, "POST /healthcheck/ok").ConfigureAwait(false);
                await Write(context, 200, HealthResponses.Ready).ConfigureAwait(false);
                return;
            case "/upgrade" when post:
                await UpgradeAsync(context, services).ConfigureAwait(false);
                return;
            default:
                if (services.GetServices<IAdminEndpoint>().FirstOrDefault(e => e.Path == path) is { } extra)
                {
                    await extra.HandleAsync(context).ConfigureAwait(false);
                    return;
                }

                context.Response.StatusCode = 404;
                return;
        }
    }

    private static Task RefuseAsync(HttpContext context, string? path, string reason)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger<BatonEndpointsMiddleware>();
        Log.AdminRequestRefused(logger, context.Request.Method, path ?? "", reason);
        return WriteJson(context, 403, new Dictionary<string, object> { ["status"] = "forbidden", ["reason"] = reason }, AdminJsonContext.Default.DictionaryStringObject);
    }

    private static async Task UpgradeAsync(HttpContext context, IServiceProvider services)
    {
        var handler = services.GetService<IUpgradeHandler>();
        if (handler is null)
        {
            await WriteJson(context, 409, new UpgradeResult(false, "upgrade refused: upgrades are not enabled (set Baton:Lifecycle:EnableZeroDowntime to true)", Refused: true), AdminJsonContext.Default.UpgradeResult).ConfigureAwait(false);
            return;
        }

        var result = await handler.UpgradeAsync("baton upgrade", context.RequestAborted).ConfigureAwait(false);
        await WriteJson(context, result.Succeeded ? 200 : 409, result, AdminJsonContext.Default.UpgradeResult).ConfigureAwait(false);
    }

    private static Task Write(HttpContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(body, 0, body.Length);
    }

    private static Task WriteJson<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
        => Write(context, status, JsonSerializer.SerializeToUtf8Bytes(value, type));

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.AdminRequestRefused, LogLevel.Warning, "Admin request refused: {Method} {Path}: {Reason}", EventName = nameof(BatonEventIds.AdminRequestRefused))]
        public static partial void AdminRequestRefused(ILogger logger, string method, string path, string reason);
    }
}

/// <summary>An extra endpoint of the admin listener (for example <c>/metrics</c>), added by the application.</summary>
public interface IAdminEndpoint
{
    /// <summary>The exact path it answers.</summary>
    string Path { get; }

    /// <summary>Answers a request to <see cref="Path"/> (the admin guards already passed).</summary>
    Task HandleAsync(HttpContext context);
}

/// <summary>What <c>GET /status</c> and <c>baton status</c> report.</summary>
internal static class StatusReport
{
    public static Dictionary<string, object?> Create(IServiceProvider services)
    {
        var lifecycle = services.GetRequiredService<LifecycleState>();
        var tracker = services.GetRequiredService<ConnectionTracker>();
        var table = services.GetRequiredService<ListenerTable>();
        var identity = services.GetRequiredService<ProcessIdentity>();
        return new()
        {
            ["phase"] = lifecycle.Phase.ToString(),
            ["phaseSince"] = lifecycle.PhaseSince.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["ready"] = lifecycle.IsReadyNow(),
            ["pid"] = Environment.ProcessId,
            ["generation"] = identity.Generation,
            ["inFlight"] = tracker.InFlight,
            ["connections"] = tracker.OpenConnections,
            ["longLived"] = tracker.LongLived,
            ["served"] = tracker.Served,
            ["listeners"] = table.Listeners.Select(l => new Dictionary<string, object>
            {
                ["key"] = l.Key,
                ["address"] = l.EndPoint.ToString() ?? "",
                ["fd"] = l.Fd,
                ["origin"] = l.Origin.ToString(),
                ["closed"] = l.IsClosed,
            }).ToArray(),
        };
    }
}
