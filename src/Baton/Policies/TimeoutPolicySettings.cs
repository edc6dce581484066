namespace Baton.Policies;

/// <summary>One request-timeout policy (ASP.NET Core's request timeouts).</summary>
/// <param name="Timeout">How long a request may take.</param>
/// <param name="StatusCode">The answer when it does not finish in time. Defaults to 504 (as a gateway timeout).</param>
public sealed record TimeoutPolicySettings(TimeSpan Timeout, int StatusCode);
