namespace Baton.Upstreams;

/// <summary>
/// One cluster's retry budget, as Envoy's: retries in flight stay at most
/// <see cref="UpstreamPolicy.BudgetPercent"/> of the cluster's requests in flight, but
/// <see cref="UpstreamPolicy.BudgetMinRetries"/> are always allowed. So when every destination
/// fails, retries add at most that share of load instead of multiplying the outage.
/// </summary>
internal sealed class RetryBudget
{
    private int _retriesInFlight;

    /// <summary>Takes a place for one retry if the budget has one.</summary>
    /// <param name="requestsInFlight">The cluster's requests in flight, this one included.</param>
    public bool TryAcquire(UpstreamPolicy policy, int requestsInFlight)
    {
        int limit = Math.Max(policy.BudgetMinRetries, (int)(requestsInFlight * policy.BudgetPercent / 100));
        while (true)
        {
            int current = Volatile.Read(ref _retriesInFlight);
            if (current >= limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _retriesInFlight, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Gives back the place of a retry that ended.</summary>
    public void Release() => Interlocked.Decrement(ref _retriesInFlight);
}
