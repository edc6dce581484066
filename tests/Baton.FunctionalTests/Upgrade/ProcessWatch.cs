using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Baton.Testing;
using Baton.Hosting.Interop;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// Watches processes the test did not start itself (re-exec'd generations are children of the
/// previous generation): exit via a pidfd (exact, no polling), CPU time and wake-ups from /proc.
/// </summary>
internal static partial class ProcessWatch
{
    // pidfd_open(2) has the same number on every Linux architecture (the unified syscall table).
    private const long SysPidfdOpen = 434;
    private const int Esrch = 3;
    private const int ScClkTck = 2;

    /// <summary>Clock ticks per second of the utime/stime fields in /proc/&lt;pid&gt;/stat.</summary>
    public static long ClockTicksPerSecond { get; } = Sysconf(ScClkTck);

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => Signals.Send(pid, 0) && State(pid) is not ('Z' or 'X' or null);

    /// <summary>
    /// Completes with the <see cref="Stopwatch"/> timestamp at which the process exited (or now, if
    /// it is already gone). Throws <see cref="TimeoutException"/> at the deadline.
    /// </summary>
    public static Task<long> WaitForExitAsync(int pid, TimeSpan timeout)
    {
        int fd = (int)PidfdOpen(SysPidfdOpen, pid, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == Esrch
                ? Task.FromResult(Stopwatch.GetTimestamp())
                : throw new IOException($"pidfd_open({pid}) failed: errno {errno}");
        }

        return Task.Factory.StartNew(() => Wait(fd, pid, timeout), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>utime + stime of every thread, in clock ticks.</summary>
    public static long CpuTicks(int pid)
    {
        var fields = StatFields(pid) ?? throw new InvalidOperationException($"pid {pid} is gone");
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Voluntary + involuntary context switches summed over the threads whose name starts with
    /// <paramref name="threadPrefix"/> (all threads when null): how often they woke.
    /// </summary>
    public static long ContextSwitches(int pid, string? threadPrefix = null)
    {
        long total = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                if (threadPrefix is not null && !File.ReadAllText(Path.Combine(task, "comm")).StartsWith(threadPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        total += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread ended while we read.
            }
        }

        return total;
    }

    /// <summary>True when the process has a thread whose name starts with <paramref name="threadPrefix"/>.</summary>
    public static bool HasThread(int pid, string threadPrefix) => ThreadCount(pid, threadPrefix) > 0;

    /// <summary>How many of the process's threads have a name starting with <paramref name="threadPrefix"/>; 0 when it is gone.</summary>
    public static int ThreadCount(int pid, string threadPrefix) => !Directory.Exists($"/proc/{pid}/task") ? 0 : Directory.EnumerateDirectories($"/proc/{pid}/task").Count(task =>
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm")).StartsWith(threadPrefix, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    });

    /// <summary>The process's start time (clock ticks since boot), to tell it from a later process that reuses its pid.</summary>
    public static long? StartTime(int pid)
        => StatFields(pid) is { } fields ? long.Parse(fields[19], CultureInfo.InvariantCulture) : null;

    /// <summary>The command line, NULs as spaces; empty when the process is gone.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static char? State(int pid) => StatFields(pid) is { } fields ? fields[0][0] : null;

    // The fields of /proc/<pid>/stat after the ")" that ends the command name: [0] is field 3 (state).
    private static string[]? StatFields(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    private static unsafe long Wait(int fd, int pid, TimeSpan timeout)
    {
        try
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                var left = (int)Math.Max(0, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline).TotalMilliseconds);
                var poll = new PollFd { Fd = fd, Events = LibC.POLLIN };
                int ready = LibC.Poll(&poll, 1, left);
                if (ready > 0)
                {
                    return Stopwatch.GetTimestamp();
                }

                if (ready == 0)
                {
                    throw new TimeoutException($"pid {pid} ({CommandLine(pid)}) did not exit within {timeout}");
                }

                if (Marshal.GetLastPInvokeError() != 4 /* EINTR */)
                {
                    throw new IOException($"poll on the pidfd of {pid} failed: errno {Marshal.GetLastPInvokeError()}");
                }
            }
        }
        finally
        {
            LibC.Close(fd);
        }
    }

    // SAFETY: syscall(2) with three integer arguments; pidfd_open touches no memory of ours.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long PidfdOpen(long number, long pid, long flags);

    // SAFETY: one integer argument; returns a number.
    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long Sysconf(int name);
}
