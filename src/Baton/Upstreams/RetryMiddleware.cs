using System.Collections.Concurrent;
using Baton.Hosting.Draining;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Baton.Upstreams;

/// <summary>
/// The first step of YARP's proxy pipeline (before session affinity, load balancing and passive
/// health checks): takes ejected destinations out of the candidates, wraps a request body so that
/// it can be sent again, and — when a try failed before any response byte reached the client, in a
/// way the cluster's <see cref="UpstreamPolicy"/> says is safe — runs the rest of the pipeline
/// again on another destination, within the cluster's retry budget.
/// </summary>
/// <remarks>
/// A request that succeeds at once costs a policy look-up, one request header and two feature
/// reads; nothing is allocated unless it has a body (the replay buffer) or a try failed.
/// </remarks>
internal sealed class RetryMiddleware
{
    private readonly RequestDelegate _next;
    private readonly UpstreamPolicies _policies;
    private readonly DestinationEjections _ejections;
    private readonly UpstreamMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, RetryBudget> _budgets = new(StringComparer.OrdinalIgnoreCase);

    public RetryMiddleware(RequestDelegate next, UpstreamPolicies policies, DestinationEjections ejections, UpstreamMetrics metrics, TimeProvider time, ILogger<RetryMiddleware> logger)
    {
        _next = next;
        _policies = policies;
        _ejections = ejections;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        var policy = _policies.For(proxy.Cluster.Config.ClusterId);
        var all = proxy.AvailableDestinations;
        var available = _ejections.Filter(all);
        proxy.AvailableDestinations = available;
        if (!policy.Retries)
        {
            context.Request.Headers.Remove(ReplayProtocol.RequestHeader);
            return ForwardOnceAsync(context);
        }

        // 1. Tell the destination that a refusal will be replayed (a client's own value is replaced).
        context.Request.Headers[ReplayProtocol.RequestHeader] = ReplayProtocol.Capable;
        ReplayableBody? body = null;
        if (HasBody(context.Request))
        {
            body = new ReplayableBody(context.Request.Body, policy.BufferBodyBytes, policy.ReplayWindowBytes);
            context.Request.Body = body;
            context.Response.RegisterForDispose(body);
        }

        if (policy.TryTimeout is { } tryTimeout)
        {
            RetryState.Of(context).StartTry(context, tryTimeout, _time);
        }

        var first = _next(context);
        return first.IsCompletedSuccessfully && context.Features.Get<IForwarderErrorFeature>() is null && context.Features.Get<RetryState>() is null
            ? Task.CompletedTask
            : AfterFirstTryAsync(first, context, proxy, policy, available, all, body);
    }

    private async Task ForwardOnceAsync(HttpContext context)
    {
        await _next(context).ConfigureAwait(false);
        if (context.Features.Get<RetryState>() is { Seen: TryFailure.NotProcessed or TryFailure.HandedBack })
        {
            Fail(context, StatusCodes.Status502BadGateway);
        }
    }

    private async Task AfterFirstTryAsync(Task first, HttpContext context, IReverseProxyFeature proxy, UpstreamPolicy policy,
        IReadOnlyList<DestinationState> available, IReadOnlyList<DestinationState> all, ReplayableBody? body)
    {
        await first.ConfigureAwait(false);
        var seenFirst = context.Features.Get<RetryState>();
        seenFirst?.EndTry(context);
        if (context.Features.Get<IForwarderErrorFeature>() is null && seenFirst is null or { Seen: TryFailure.None, TryTimedOut: false })
        {
            return; // the usual case: nothing failed, nothing allocated
        }

        var cluster = proxy.Cluster.Config.ClusterId;
        var budget = _budgets.GetOrAdd(cluster, static _ => new RetryBudget());
        var tried = new List<DestinationState>(2);
        RetryState? state = null;
        while (true)
        {
            var seen = context.Features.Get<RetryState>();
            var failure = seen is { Seen: not TryFailure.None } ? seen.Seen
                : seen is { TryTimedOut: true } ? TryFailure.Timeout
                : context.Features.Get<IForwarderErrorFeature>() is { } error ? TryFailures.Classify(error)
                : TryFailure.None;
            if (failure == TryFailure.None)
            {
                return;
            }

            state ??= RetryState.Of(context);
            var destination = proxy.ProxiedDestination;
            if (destination is not null)
            {
                tried.Add(destination);
                if (state.Tries == 1)
                {
                    state.Destinations = destination.DestinationId;
                }
            }

            if (failure == TryFailure.ConnectFailure && destination is not null && _ejections.Eject(destination, policy.EjectFor, EjectionReason.ConnectFailure))
            {
                _metrics.Ejected(cluster, EjectionReason.ConnectFailure);
                UpstreamLog.Ejected(_logger, destination.DestinationId, cluster, policy.EjectFor.TotalSeconds, "connecting failed");
            }

            // 2. May this failure be retried at all (kind, method, tries, body, response)?
            var why = WhyNot(context, policy, failure, state, body);
            // The budget bounds retries that add load where the cluster may be failing: a request the
            // destination provably did not process, redispatched to a destination in rotation, adds none.
            // Destinations not tried yet, in rotation first; else ejected ones; else the same again.
            var candidates = Untried(available, tried) ?? Untried(all, tried);
            bool redispatch = candidates is not null
                && failure is TryFailure.ConnectFailure or TryFailure.RefusedStream or TryFailure.NotProcessed or TryFailure.HandedBack;
            candidates ??= all;
            bool budgeted = !redispatch;
            if (why is null && budgeted && !budget.TryAcquire(policy, InFlight(proxy) + 1))
            {
                why = "retry budget spent";
            }

            if (why is not null)
            {
                _metrics.NotRetried(cluster, failure, why);
                UpstreamLog.NotRetried(_logger, context.Request.Method, context.Request.Path, cluster, failure.Name(), destination?.DestinationId ?? "-", why);
                if (failure is TryFailure.NotProcessed or TryFailure.HandedBack)
                {
                    Fail(context, StatusCodes.Status502BadGateway);
                }
                else if (failure == TryFailure.Timeout)
                {
                    Fail(context, StatusCodes.Status504GatewayTimeout);
                }

                return;
            }

            try
            {
                // 3. The body for the next try: from the start, or rebuilt from what a draining app handed back.
                // A refusal of an upload already sent past the head: rebuilt from the head and the tail.
                if (failure == TryFailure.NotProcessed && body is { Overflowed: true, Untouched: false })
                {
                    state.HandedBack = [];
                    failure = TryFailure.HandedBack;
                }

                if (failure == TryFailure.HandedBack)
                {
                    if ((state.RefusalError ?? (body is null ? "the request has no body to rebuild" : body.TryHandBack(state.HandedBack))) is { } replayError)
                    {
                        _metrics.Replay(cluster, replayed: false);
                        UpstreamLog.ReplayRejected(_logger, context.Request.Method, context.Request.Path, destination?.DestinationId ?? "-", cluster, replayError);
                        Fail(context, StatusCodes.Status502BadGateway);
                        return;
                    }

                    _metrics.Replay(cluster, replayed: true);
                    UpstreamLog.Replayed(_logger, context.Request.Method, context.Request.Path, destination?.DestinationId ?? "-", cluster, state.HandedBack!.Length, body!.Consumed);
                    context.Request.Headers[ReplayProtocol.RequestHeader] = ReplayProtocol.Replayed;
                }
                else
                {
                    body?.Rewind();
                }

                state.HandedBack = null;
                state.Seen = TryFailure.None;
                state.RefusalError = null;
                _metrics.Retried(cluster, failure);
                UpstreamLog.Retry(_logger, state.Tries + 1, context.Request.Method, context.Request.Path, cluster, failure.Name(), destination?.DestinationId ?? "-");

                // 4. A small jittered backoff, then the rest of the pipeline again, on a destination not tried yet when there is one.
                await Task.Delay(Backoff(policy, state.Tries), _time, context.RequestAborted).ConfigureAwait(false);
                context.Response.Clear();
                context.Features.Set<IForwarderErrorFeature>(null);
                proxy.AvailableDestinations = candidates;
                state.Tries++;
                if (policy.TryTimeout is { } tryTimeout)
                {
                    state.StartTry(context, tryTimeout, _time);
                }

                try
                {
                    await _next(context).ConfigureAwait(false);
                }
                finally
                {
                    state.EndTry(context);
                }

                if (proxy.ProxiedDestination is { } next)
                {
                    state.Destinations = $"{state.Destinations},{next.DestinationId}";
                }
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return; // the client went away during the backoff
            }
            finally
            {
                if (budgeted)
                {
                    budget.Release();
                }
            }
        }
    }

    /// <summary>Null if <paramref name="failure"/> may be retried now; else a short reason for metrics and logs.</summary>
    /// <remarks>A refused or handed-back body is rebuilt from what Baton kept (and what the app returned) even past the head.</remarks>
    private static string? WhyNot(HttpContext context, UpstreamPolicy policy, TryFailure failure, RetryState state, ReplayableBody? body)
    {
        if (context.Response.HasStarted)
        {
            return "response started";
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            return "client gone";
        }

        if (state.Tries >= policy.MaxTries)
        {
            return "tries used up";
        }

        var flag = failure switch
        {
            TryFailure.ConnectFailure => RetryOn.ConnectFailure,
            TryFailure.RefusedStream => RetryOn.RefusedStream,
            TryFailure.NotProcessed or TryFailure.HandedBack => RetryOn.NotProcessed,
            TryFailure.Reset => RetryOn.Reset,
            TryFailure.Timeout => RetryOn.Timeout,
            _ => RetryOn.Status,
        };
        if ((policy.RetryOn & flag) == 0)
        {
            return "not enabled for this cluster";
        }

        if (failure is TryFailure.Reset or TryFailure.Status or TryFailure.Timeout && !policy.RetryNonIdempotent && !Methods.IsIdempotent(context.Request.Method))
        {
            return "method not idempotent";
        }

        if (body is null || body.Untouched)
        {
            return null;
        }

        if (failure is TryFailure.HandedBack or TryFailure.NotProcessed)
        {
            return body.Replayed ? "replayed once already" : null;
        }

        return body.Overflowed ? "body larger than BufferBodyBytes was sent" : body.Replayed ? "replayed body was sent" : null;
    }

    private static IReadOnlyList<DestinationState>? Untried(IReadOnlyList<DestinationState> available, List<DestinationState> tried)
    {
        List<DestinationState>? untried = null;
        foreach (var d in available)
        {
            if (!tried.Contains(d))
            {
                (untried ??= new List<DestinationState>(available.Count)).Add(d);
            }
        }

        return untried;
    }

    /// <summary>The cluster's requests in the forwarder now (counted by YARP per destination; read only when a try failed).</summary>
    private static int InFlight(IReverseProxyFeature proxy)
    {
        int n = 0;
        foreach (var d in proxy.AllDestinations)
        {
            n += d.ConcurrentRequestCount;
        }

        return n;
    }

    private static TimeSpan Backoff(UpstreamPolicy policy, int retry)
    {
        // Full jitter (AWS architecture blog): uniform in [0, min(max, base * 2^(retry-1))].
        double ceiling = Math.Min(policy.BackoffMax.TotalMilliseconds, policy.BackoffBase.TotalMilliseconds * Math.Pow(2, retry - 1));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }

    private static void Fail(HttpContext context, int status)
    {
        if (!context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.StatusCode = status;
        }
    }

    private static bool HasBody(HttpRequest request)
        => request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? (request.ContentLength > 0);
}
