namespace Baton.Hosting.Handoff.Native;

/// <summary>Signals to other processes by pid (.NET can only SIGKILL its own children).</summary>
internal static class Processes
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    /// <summary>True when a process with this pid exists (kill(pid, 0)).</summary>
    public static bool IsAlive(int pid) => pid > 0 && (LibC.Kill(pid, 0) == 0 || Errno.Last == 1 /* EPERM: exists */);

    public static bool Signal(int pid, int signal) => pid > 0 && LibC.Kill(pid, signal) == 0;
}
