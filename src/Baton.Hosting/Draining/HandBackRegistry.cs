using System.Collections.Concurrent;

namespace Baton.Hosting.Draining;

/// <summary>The uploads in flight that could be handed back to a replay-capable proxy.</summary>
internal sealed class HandBackRegistry
{
    private readonly ConcurrentDictionary<HandBackBody, byte> _bodies = new();

    public int Count => _bodies.Count;

    public void Add(HandBackBody body) => _bodies.TryAdd(body, 0);

    public void Remove(HandBackBody body)
    {
        _bodies.TryRemove(body, out _);
        body.Done.TrySetResult();
    }

    /// <summary>Hands back every upload still arriving; waits up to <paramref name="wait"/> for their responses.</summary>
    /// <returns>How many were handed back.</returns>
    public async Task<int> HandBackAllAsync(TimeSpan wait, TimeProvider time)
    {
        var pending = new List<Task>();
        foreach (var body in _bodies.Keys)
        {
            if (!body.Completed && !body.TooLarge)
            {
                body.HandBack();
                pending.Add(body.Done.Task);
            }
        }

        if (pending.Count > 0)
        {
            await Task.WhenAny(Task.WhenAll(pending), Task.Delay(wait, time)).ConfigureAwait(false);
        }

        return pending.Count;
    }
}
