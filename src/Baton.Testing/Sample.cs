namespace Baton.Testing;

/// <summary>One request's outcome.</summary>
public readonly record struct Sample(ClientKind Kind, string Phase, bool Ok, bool Refused, double Milliseconds, string? Error, long StartedAt = 0);
