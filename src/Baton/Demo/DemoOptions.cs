namespace Baton.Demo;

/// <summary>Options of <c>baton demo</c>.</summary>
public sealed record DemoOptions(TimeSpan Duration, int Upgrades, bool Json);
