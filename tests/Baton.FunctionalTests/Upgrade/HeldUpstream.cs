using System.Net;
using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// An upstream whose <c>/held/…</c> requests answer only when the test releases them, so a request
/// stays in flight on an old generation exactly as long as the test needs (Kestrel's shutdown tests
/// gate requests on a <see cref="TaskCompletionSource"/> the same way). Every request that arrived
/// is counted, so the test can wait for "in flight at the upstream" instead of sleeping.
/// </summary>
internal sealed class HeldUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _gate = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = new();
    private int _arrived;

    private HeldUpstream(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public static async Task<HeldUpstream> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "baton-held-upstream" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRouting();
        var app = builder.Build();
        var held = new HeldUpstream(app);
        app.MapGet("/held/{**rest}", async () =>
        {
            held.Arrived();
            await held._release.Task;
            return Results.Text("released\n");
        });
        await app.StartAsync();
        held.Url = app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/";
        return held;
    }

    /// <summary>Routes <c>/held/{**rest}</c> of <paramref name="host"/>'s config to this upstream (call before Baton starts).</summary>
    public void AddRouteTo(BatonTestHost host)
    {
        var proxy = (JsonObject)host.Config["ReverseProxy"]!;
        ((JsonObject)proxy["Routes"]!)["held"] = new JsonObject { ["ClusterId"] = "held", ["Match"] = new JsonObject { ["Path"] = "/held/{**rest}" } };
        ((JsonObject)proxy["Clusters"]!)["held"] = new JsonObject { ["Destinations"] = new JsonObject { ["held"] = new JsonObject { ["Address"] = Url } } };
    }

    /// <summary>Completes once <paramref name="count"/> requests in total have reached this upstream.</summary>
    public Task WaitForArrivalsAsync(int count, TimeSpan timeout)
    {
        lock (_gate)
        {
            if (_arrived >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task.WaitAsync(timeout);
        }
    }

    /// <summary>Answers every held request, now and later.</summary>
    public void Release() => _release.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync(TimeSpan.FromSeconds(1));
        await _app.DisposeAsync();
    }

    private void Arrived()
    {
        lock (_gate)
        {
            _arrived++;
            foreach (var w in _waiters.Where(w => _arrived >= w.Count).ToArray())
            {
                w.Done.TrySetResult();
                _waiters.Remove(w);
            }
        }
    }
}
