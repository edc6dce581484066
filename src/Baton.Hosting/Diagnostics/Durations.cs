namespace Baton.Hosting.Diagnostics;

/// <summary>Durations in log events: milliseconds, one decimal (<c>84.8</c>), in the message and the JSON state alike.</summary>
internal static class Durations
{
    public static double Ms(TimeSpan duration) => Math.Round(duration.TotalMilliseconds, 1);
}
