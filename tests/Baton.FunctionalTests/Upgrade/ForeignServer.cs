using System.Diagnostics;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// A fake "old process" on an upgrade socket, running as uid 65534: it answers a hello with a
/// listeners message carrying three listening sockets of its own (issue 11, defect 5: the
/// <c>--upgrade</c> client must check who it talks to). Killed at dispose.
/// </summary>
internal sealed class ForeignServer : IDisposable
{
    private const string Script = """
        import json, os, socket, sys, time
        path = sys.argv[1]
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)
        print("listening", flush=True)
        conn, _ = server.accept()
        conn.recv(4096)
        tcp = []
        for _ in range(3):
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.bind(("127.0.0.1", 0))
            t.listen(8)
            tcp.append(t)
        msg = {"type": "listeners", "version": 1, "pid": os.getpid(), "keys": ["public", "h2c", "@admin"], "generation": 2, "draining": []}
        socket.send_fds(conn, [(json.dumps(msg) + "\n").encode()], [t.fileno() for t in tcp])
        time.sleep(600)
        """;

    private readonly Process _process;

    private ForeignServer(Process process) => _process = process;

    public static ForeignServer Start(string socketPath)
    {
        var python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.First(File.Exists);
        var psi = ForeignClient.DropPrivileges() ?? throw new InvalidOperationException("needs setpriv or runuser to run as uid 65534");
        foreach (var arg in new[] { python, "-c", Script, socketPath })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        return new ForeignServer(Process.Start(psi)!);
    }

    /// <summary>Waits for its "listening" line.</summary>
    public async Task WaitUntilListeningAsync(string socketPath, TimeSpan timeout)
    {
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(timeout);
        Assert.True(line == "listening", $"the foreign server did not start on {socketPath}: '{line}'");
    }

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
