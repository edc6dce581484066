namespace Baton.Hosting.Interop;


/// <summary>Signals to other processes by pid (.NET can only SIGKILL its own children).</summary>
internal static class Processes
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGHUP = 1;
    public const int SIGUSR2 = 12;

    /// <summary>
    /// True when a process with this pid exists (kill(pid, 0)) and has not exited: a zombie — an
    /// old generation that exited but whose parent (often PID 1, after its own parent exited) has
    /// not reaped it yet — is not alive. Fast upgrades create them faster than PID 1 reaps them.
    /// </summary>
    public static bool IsAlive(int pid) => pid > 0 && (LibC.Kill(pid, 0) == 0 || Errno.Last == 1 /* EPERM: exists */) && !IsZombie(pid);

    private static bool IsZombie(int pid)
    {
        try
        {
            // "pid (comm) S ...": the state follows the last ')', since comm may contain anything.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close >= 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X' or 'x';
        }
        catch (IOException)
        {
            return true; // gone between kill(2) and the read
        }
    }

    public static bool Signal(int pid, int signal) => pid > 0 && LibC.Kill(pid, signal) == 0;

    public const int SIGQUIT = 3;

    /// <summary>
    /// True when <paramref name="signal"/> was ignored when this process started, and .NET then
    /// leaves it ignored even when a handler is registered. A shell starts background jobs with
    /// SIGQUIT ignored (POSIX), so such a process cannot be upgraded with SIGQUIT (<c>baton
    /// upgrade</c> still works); <c>nohup</c> starts its command with SIGHUP ignored, so SIGHUP
    /// cannot reload it (an edit of the file still reloads through the file watcher).
    /// </summary>
    public static unsafe bool IsIgnoredAtStart(int signal)
    {
        byte* old = stackalloc byte[256];
        return LibC.SigAction(signal, null, old) == 0 && *(nint*)old == 1 /* SIG_IGN */;
    }
}
