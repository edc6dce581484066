using System.Diagnostics;
using System.Globalization;
using Baton.Hosting.Diagnostics;

namespace Baton.Proxy;

/// <summary>
/// Where a new process's start-up goes (every upgrade starts one): the time from exec to
/// <c>Main</c>, then each step of <see cref="ProxyHost.RunAsync"/>, logged once as
/// <see cref="BatonEventIds.StartupTimings"/> when the process reports ready. bench/ reads it.
/// </summary>
internal sealed partial class StartupClock
{
    private readonly long _main = Stopwatch.GetTimestamp();
    private readonly long _mainTicks = Environment.TickCount64;
    private readonly List<(string Step, long At)> _marks = new(8);

    /// <summary>Milliseconds from the exec of this process to <c>Main</c> (the kernel's 10 ms clock), or -1 if unknown.</summary>
    private double BeforeMain()
    {
        try
        {
            // Field 22 of /proc/self/stat: the start time in clock ticks (100 Hz) since boot; the
            // process name (field 2) may hold spaces, so count from its closing parenthesis.
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return Math.Max(0, _mainTicks - long.Parse(fields[19], CultureInfo.InvariantCulture) * 10);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            return -1;
        }
    }

    public void Mark(string step) => _marks.Add((step, Stopwatch.GetTimestamp()));

    public void Log(ILogger logger)
    {
        var parts = new List<string>(_marks.Count + 1) { $"exec->main {BeforeMain():0}" };
        var previous = _main;
        foreach (var (step, at) in _marks)
        {
            parts.Add($"{step} {Stopwatch.GetElapsedTime(previous, at).TotalMilliseconds:0.0}");
            previous = at;
        }

        StartupTimings(logger, Stopwatch.GetElapsedTime(_main, previous).TotalMilliseconds, string.Join(", ", parts));
    }

    [LoggerMessage(BatonEventIds.StartupTimings, LogLevel.Information, "Started in {Milliseconds:0.0} ms after Main ({Steps} ms)", EventName = nameof(BatonEventIds.StartupTimings))]
    private static partial void StartupTimings(ILogger logger, double milliseconds, string steps);
}
