using System.Diagnostics;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// A same-uid process on the upgrade socket that says hello, takes the listeners, prints "took N",
/// and then says nothing more (issue 11, defect 11). Killed at dispose if still alive.
/// </summary>
internal sealed class SilentPeer : IDisposable
{
    private const string Script = """
        import socket, sys, time
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        s.sendall(b'{"type":"hello","version":1}\n')
        msg, fds, _, _ = socket.recv_fds(s, 16384, 64)
        print("took %d" % len(fds), flush=True)
        time.sleep(600)
        """;

    private readonly Process _process;

    private SilentPeer(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>Completes with the first line it printed.</summary>
    public Task<string?> FirstLine { get; private init; } = Task.FromResult<string?>(null);

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public static SilentPeer Start(string socketPath)
    {
        var python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.First(File.Exists);
        var psi = new ProcessStartInfo(python) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in new[] { "-c", Script, socketPath })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        return new SilentPeer(process) { FirstLine = process.StandardOutput.ReadLineAsync() };
    }

    public void Dispose()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
