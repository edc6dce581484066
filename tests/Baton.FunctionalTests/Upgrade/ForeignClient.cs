using System.Diagnostics;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// Connects to an upgrade socket from a process running as another user (uid/gid 65534, "nobody"),
/// says hello, and prints what came back: "denied" when connect(2) failed with EACCES, else the
/// line the server answered (empty when it closed without one). The tests run as root; the uid is
/// dropped with setpriv, else runuser.
/// </summary>
internal static class ForeignClient
{
    public const int Uid = 65534;

    private const string Script = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(sys.argv[1])
        except PermissionError:
            print("denied"); sys.exit(0)
        try:
            s.sendall(b'{"type":"hello","version":1}\n')
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused (and closed) before the hello went out: the answer is still to be read
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        print(data.decode().strip())
        """;

    /// <summary>Runs the client; returns what it printed (one line).</summary>
    public static async Task<string> HelloAsync(string socketPath)
    {
        Assert.True(Hosting.Interop.FdPassing.GetEffectiveUid() == 0, "the foreign-uid test runs as root, to start a client as uid 65534");
        var python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("the foreign-uid test needs python3 in /usr/bin or /usr/local/bin (readable by uid 65534)");
        var psi = DropPrivileges() ?? throw new InvalidOperationException("the foreign-uid test needs setpriv or runuser to run as uid 65534");
        foreach (var arg in new[] { python, "-c", Script, socketPath })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(UpgradeRig.EventTimeout);
        await process.WaitForExitAsync(deadline.Token);
        Assert.True(process.ExitCode == 0, $"the foreign client failed ({process.ExitCode}): {await stdout}{await stderr}");
        return (await stdout).Trim();
    }

    /// <summary>Whether a user-dropping tool exists, and which: setpriv (util-linux), else runuser.</summary>
    internal static ProcessStartInfo? DropPrivileges()
    {
        if (new[] { "/usr/bin/setpriv", "/bin/setpriv" }.FirstOrDefault(File.Exists) is { } setpriv)
        {
            var psi = new ProcessStartInfo(setpriv);
            foreach (var arg in new[] { $"--reuid={Uid}", $"--regid={Uid}", "--clear-groups" })
            {
                psi.ArgumentList.Add(arg);
            }

            return psi;
        }

        if (new[] { "/usr/sbin/runuser", "/sbin/runuser" }.FirstOrDefault(File.Exists) is { } runuser)
        {
            var psi = new ProcessStartInfo(runuser);
            foreach (var arg in new[] { "-u", "nobody", "--" })
            {
                psi.ArgumentList.Add(arg);
            }

            return psi;
        }

        return null;
    }
}
