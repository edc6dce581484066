namespace Baton.Limits;

/// <summary>A minimum data rate: below <paramref name="BytesPerSecond"/> for longer than <paramref name="GracePeriod"/>, Kestrel ends the request.</summary>
public sealed record DataRate(double BytesPerSecond, TimeSpan GracePeriod);
