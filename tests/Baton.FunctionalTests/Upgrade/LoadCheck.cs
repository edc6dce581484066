using Baton.Testing;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>The mixed client load of the upgrade tests and what counts as a failure under it.</summary>
internal static class LoadCheck
{
    /// <summary>HTTP/1.1 keep-alive, HTTP/1.1 a new connection per request, and h2c through the "h2c" listener.</summary>
    public static Dictionary<ClientKind, int> Mixed() => new()
    {
        [ClientKind.KeepAlive] = 3,
        [ClientKind.NewConnection] = 3,
        [ClientKind.H2c] = 2,
    };

    /// <summary>Requests per kind: "KeepAlive 1234 ok, …".</summary>
    public static string Summary(IReadOnlyList<Sample> samples) => string.Join(", ", samples
        .GroupBy(s => s.Kind)
        .Select(g => $"{g.Key} {g.Count(s => s.Ok)}/{g.Count()} ok"));

    /// <summary>
    /// Every request of every kind succeeded: no error, no reset, and no refused connection either
    /// (the listeners never close during an upgrade, so a refusal is a failure too).
    /// </summary>
    public static void AssertNoneFailed(IReadOnlyList<Sample> samples, IEnumerable<ClientKind> kinds)
    {
        foreach (var kind in kinds)
        {
            Assert.True(samples.Count(s => s.Kind == kind && s.Ok) > 0, $"no {kind} request succeeded: the load did not run ({Summary(samples)})");
        }

        var failed = samples.Where(s => !s.Ok).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {samples.Count} requests failed ({Summary(samples)}); first: "
            + string.Join("; ", failed.Take(10).Select(s => $"[{s.Phase}] {s.Kind} {(s.Refused ? "refused" : s.Error)}")));
    }

    /// <summary>Waits (with a deadline) until the load generator has started <paramref name="count"/> requests.</summary>
    public static async Task WaitForRequestsAsync(LoadGenerator load, long count)
    {
        var deadline = DateTime.UtcNow + UpgradeRig.EventTimeout;
        while (load.Started < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the load reached only {load.Started} of {count} requests ({Summary(load.Samples)})");
            }

            await Task.Delay(10);
        }
    }
}
