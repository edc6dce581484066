using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Transforms;

namespace Baton.Upstreams;

/// <summary>Wires retries, the retry budget, ejections and replay into YARP.</summary>
internal static class UpstreamExtensions
{
    /// <summary>Call after <c>AddReverseProxy()</c>.</summary>
    public static IReverseProxyBuilder AddBatonUpstreams(this IReverseProxyBuilder proxy, UpstreamPolicies policies)
    {
        var services = proxy.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(policies);
        services.AddSingleton<DestinationEjections>();
        services.AddSingleton<UpstreamMetrics>();
        services.AddSingleton<UpstreamResponseTransform>();
        services.AddSingleton<GoAwayEjector>();

        // Decorate YARP's health updater: a passing active check brings an ejected destination back.
        var inner = services.Last(d => d.ServiceType == typeof(IDestinationHealthUpdater));
        services.Remove(inner);
        services.AddSingleton<IDestinationHealthUpdater>(sp => new EjectionHealthUpdater(
            (IDestinationHealthUpdater)(inner.ImplementationInstance
                ?? inner.ImplementationFactory?.Invoke(sp)
                ?? ActivatorUtilities.CreateInstance(sp, inner.ImplementationType!)),
            sp.GetRequiredService<DestinationEjections>(),
            sp.GetRequiredService<ILogger<EjectionHealthUpdater>>()));

        proxy.AddTransforms(context =>
        {
            var transform = context.Services.GetRequiredService<UpstreamResponseTransform>();
            context.AddResponseTransform(transform.ApplyAsync);
        });
        return proxy;
    }

    /// <summary>The first step of the proxy pipeline: ejections filtered, bodies kept, failed tries retried (before session affinity and load balancing).</summary>
    public static void UseBatonRetries(this IReverseProxyApplicationBuilder pipeline) => pipeline.UseMiddleware<RetryMiddleware>();
}
