namespace Baton.Hosting.Draining;

/// <summary>What Baton knows of a listener that accepted a connection.</summary>
/// <param name="Name">The listener's key (its config name, else its address).</param>
/// <param name="IsAdmin">True for the admin listener: health and control endpoints only, never proxied.</param>
/// <param name="ServesHealth">True when <c>/livez</c>, <c>/readyz</c> and <c>/health</c> are answered here.</param>
public sealed record ListenerInfo(string Name, bool IsAdmin, bool ServesHealth);
