using System.Diagnostics;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Handoff;

/// <summary>A new process started for a re-exec upgrade.</summary>
internal interface ISpawnedProcess : IDisposable
{
    int Pid { get; }

    /// <summary>Completes with the exit code when the process exits.</summary>
    Task<int> Exited { get; }

    /// <summary>Asks it to stop gracefully (SIGTERM).</summary>
    void Terminate();

    /// <summary>Asks it to reload its configuration (SIGHUP).</summary>
    void Reload();

    void Kill();
}

/// <summary>Starts the new process of a re-exec upgrade. A seam: unit tests start fakes that crash, hang or report ready.</summary>
internal interface IUpgradeSpawner
{
    /// <summary>
    /// Starts <paramref name="command"/> with <paramref name="environment"/> added, inheriting
    /// exactly <paramref name="inheritFds"/> (besides stdin, stdout and stderr).
    /// </summary>
    ISpawnedProcess Spawn(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, IReadOnlyList<int> inheritFds);
}

/// <summary>
/// The real spawner. .NET opens every fd close-on-exec and has no per-spawn inheritance list, so
/// close-on-exec is cleared on exactly the handed-over fds for exactly this spawn, under a lock
/// (no other spawn from this class can inherit them), and restored right after.
/// </summary>
internal sealed class ProcessSpawner : IUpgradeSpawner
{
    private static readonly object s_spawnLock = new();

    public ISpawnedProcess Spawn(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, IReadOnlyList<int> inheritFds)
    {
        var psi = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var arg in command.Skip(1))
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var (k, v) in environment)
        {
            psi.Environment[k] = v;
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult(process.ExitCode);
        lock (s_spawnLock)
        {
            foreach (var fd in inheritFds)
            {
                ListenSockets.SetCloseOnExec(fd, false);
            }

            try
            {
                process.Start();
            }
            finally
            {
                foreach (var fd in inheritFds)
                {
                    ListenSockets.SetCloseOnExec(fd, true);
                }
            }
        }

        return new Spawned(process, exited.Task);
    }

    private sealed class Spawned(Process process, Task<int> exited) : ISpawnedProcess
    {
        public int Pid => process.Id;

        public Task<int> Exited => exited;

        public void Terminate() => Processes.Signal(process.Id, Processes.SIGTERM);

        public void Reload() => Processes.Signal(process.Id, Processes.SIGHUP);

        public void Kill()
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
            }
        }

        public void Dispose() => process.Dispose();
    }
}
