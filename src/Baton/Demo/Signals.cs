using System.Runtime.InteropServices;

namespace Baton.Demo;

/// <summary>Sends POSIX signals to other processes (.NET's <c>Process.Kill</c> only sends SIGKILL).</summary>
public static partial class Signals
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    /// <summary>kill(2). Returns false when the process does not exist.</summary>
    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    // SAFETY: kill(2) takes two integers and touches no memory of ours.
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
