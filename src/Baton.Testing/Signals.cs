using System.Runtime.InteropServices;

namespace Baton.Testing;

/// <summary>Sends POSIX signals to other processes (.NET's <c>Process.Kill</c> only sends SIGKILL); the demo's and the tests' names for them.</summary>
public static partial class Signals
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGUSR2 = 12;
    public const int SIGTERM = 15;

    /// <summary>kill(2). Returns false when the process does not exist; signal 0 only probes.</summary>
    public static bool Send(int pid, int signal) => pid > 0 && Kill(pid, signal) == 0;

    // SAFETY: kill(2) takes two ints and touches no memory of ours; pid > 0 is checked above so a
    // caller can never signal a process group (0, -1 or -pgid) by mistake.
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
