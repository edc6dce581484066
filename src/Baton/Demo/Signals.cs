using Baton.Hosting.Interop;

namespace Baton.Demo;

/// <summary>Sends POSIX signals to other processes (.NET's <c>Process.Kill</c> only sends SIGKILL); the demo's and the tests' names for <see cref="Processes"/>.</summary>
public static class Signals
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = Processes.SIGQUIT;
    public const int SIGKILL = Processes.SIGKILL;
    public const int SIGTERM = Processes.SIGTERM;
    public const int SIGUSR1 = 10;

    /// <summary>kill(2). Returns false when the process does not exist; signal 0 only probes.</summary>
    public static bool Send(int pid, int signal) => Processes.Signal(pid, signal);
}
