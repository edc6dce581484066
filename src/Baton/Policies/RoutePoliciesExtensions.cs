using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Cors;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;

namespace Baton.Policies;

/// <summary>
/// Wires what YARP's route fields name: ASP.NET Core's request timeouts (<c>Timeout</c>,
/// <c>TimeoutPolicy</c>; 504 at the deadline), rate limiting (<c>RateLimiterPolicy</c>; 429 with
/// <c>Retry-After</c>) and CORS (<c>CorsPolicy</c>). The middleware always runs (a reload may give
/// a route a policy); a route without a policy passes straight through.
/// </summary>
internal static class RoutePoliciesExtensions
{
    public static IServiceCollection AddBatonRoutePolicies(this IServiceCollection services, RoutePolicies policies)
    {
        services.AddRequestTimeouts(o =>
        {
            foreach (var (name, p) in policies.Timeouts)
            {
                o.AddPolicy(name, new RequestTimeoutPolicy { Timeout = p.Timeout, TimeoutStatusCode = p.StatusCode });
            }
        });
        services.AddCors(o =>
        {
            foreach (var (name, p) in policies.Cors)
            {
                o.AddPolicy(name, b =>
                {
                    _ = p.Origins.Contains("*") ? b.AllowAnyOrigin() : b.WithOrigins([.. p.Origins]);
                    _ = p.Methods.Count == 0 ? b.AllowAnyMethod() : b.WithMethods([.. p.Methods]);
                    _ = p.Headers.Count == 0 ? b.AllowAnyHeader() : b.WithHeaders([.. p.Headers]);
                    b.WithExposedHeaders([.. p.ExposedHeaders]);
                    if (p.AllowCredentials)
                    {
                        b.AllowCredentials();
                    }

                    if (p.MaxAge is { } age)
                    {
                        b.SetPreflightMaxAge(age);
                    }
                });
            }
        });
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (context, _) =>
            {
                // Seconds, rounded up; a concurrency limit has no refill time: try again in a second.
                var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return ValueTask.CompletedTask;
            };
            foreach (var (name, p) in policies.RateLimiters)
            {
                o.AddPolicy(name, context => Partition(p, context));
            }
        });
        return services;
    }

    /// <summary>After routing (the route's endpoint carries its policies), before the proxy.</summary>
    public static IApplicationBuilder UseBatonRoutePolicies(this IApplicationBuilder app)
    {
        // Not app.UseCors(): CorsMiddleware.Invoke takes the policy provider as a second parameter,
        // and UseMiddleware binds such a method by reflection on every request where no code can
        // be generated (Native AOT): ~3,500 instructions and an argument array per request
        // (bench/PROFILE.md, "Instructions per request"). The same middleware, called directly.
        app.Use(next =>
        {
            var services = app.ApplicationServices;
            var cors = new CorsMiddleware(next, services.GetRequiredService<ICorsService>(), services.GetRequiredService<ILoggerFactory>());
            var policies = services.GetRequiredService<ICorsPolicyProvider>();
            return context => cors.Invoke(context, policies);
        });
        app.UseRateLimiter();
        app.UseRequestTimeouts();
        return app;
    }

    private static RateLimitPartition<IPAddress> Partition(RateLimiterPolicySettings p, HttpContext context)
    {
        var key = p.PerClient ? context.Connection.RemoteIpAddress ?? IPAddress.None : IPAddress.None;
        return p.Kind switch
        {
            RateLimiterKind.FixedWindow => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = p.PermitLimit, Window = p.Window, QueueLimit = p.QueueLimit,
            }),
            RateLimiterKind.SlidingWindow => RateLimitPartition.GetSlidingWindowLimiter(key, _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = p.PermitLimit, Window = p.Window, SegmentsPerWindow = p.SegmentsPerWindow, QueueLimit = p.QueueLimit,
            }),
            RateLimiterKind.TokenBucket => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = p.TokenLimit, TokensPerPeriod = p.TokensPerPeriod, ReplenishmentPeriod = p.ReplenishmentPeriod, QueueLimit = p.QueueLimit,
            }),
            _ => RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions
            {
                PermitLimit = p.PermitLimit, QueueLimit = p.QueueLimit,
            }),
        };
    }
}
