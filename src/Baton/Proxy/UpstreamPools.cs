using System.Collections.Concurrent;
using Baton.Hosting.Draining;
using Baton.Upstreams;
using Yarp.ReverseProxy.Forwarder;

namespace Baton.Proxy;

/// <summary>
/// YARP's per-cluster upstream connection pools (one <see cref="SocketsHttpHandler"/> each),
/// remembered so that after the downstream drain they are disposed: idle upstream connections then
/// close with FIN instead of being reset when the process exits. YARP itself never drains them.
/// Each pool's connect timeout is its cluster's per-try <see cref="UpstreamPolicy.ConnectTimeout"/>;
/// HTTP/2 connections are read through a <see cref="GoAwayWatch"/>, so a destination that announces
/// its shutdown leaves rotation at once.
/// </summary>
internal sealed class UpstreamPools(UpstreamPolicies policies, IServiceProvider services) : ForwarderHttpClientFactory, IPostDrainStep
{
    private readonly ConcurrentDictionary<SocketsHttpHandler, byte> _handlers = new();

    public string Name => "UpstreamPools";

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ConnectTimeout = policies.For(context.ClusterId).ConnectTimeout;
        var cluster = context.ClusterId;
        handler.PlaintextStreamFilter = (connection, _) => ValueTask.FromResult(connection.NegotiatedHttpVersion.Major == 2
            ? new GoAwayWatch(connection.PlaintextStream, () => services.GetRequiredService<GoAwayEjector>().ShutdownAnnounced(cluster, connection.InitialRequestMessage.RequestUri))
            : connection.PlaintextStream);
        _handlers.TryAdd(handler, 0);
    }

    public Task<string> RunAsync(CancellationToken cancellationToken)
    {
        int n = 0;
        foreach (var handler in _handlers.Keys)
        {
            handler.Dispose();
            _handlers.TryRemove(handler, out _);
            n++;
        }

        return Task.FromResult($"{n} upstream connection pool(s) disposed; idle upstream connections closed");
    }
}
