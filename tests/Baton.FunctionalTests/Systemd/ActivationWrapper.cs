using Baton.Testing;

namespace Baton.FunctionalTests.Systemd;

/// <summary>
/// Plays systemd's part in socket activation: a <c>baton</c> in a directory of its own (so that
/// <see cref="BatonProcess.Start"/> runs it) that moves the inherited listening socket to fd 3, sets
/// <c>LISTEN_FDS=1</c>, <c>LISTEN_FDNAMES=public</c> and <c>LISTEN_PID</c> to its own pid, and
/// execs the real Baton, which keeps that pid.
/// </summary>
internal static class ActivationWrapper
{
    /// <summary>The variable that tells the wrapper which of its fds is the socket.</summary>
    public const string FdVariable = "TEST_ACTIVATED_FD";

    /// <summary>Writes the wrapper into <paramref name="directory"/>; returns the directory.</summary>
    public static string Write(string directory)
    {
        var python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("the socket-activation test needs python3 in /usr/bin or /usr/local/bin");
        var (file, prefix) = BatonProcess.Command();
        var argv = string.Join(", ", new[] { file }.Concat(prefix).Select(a => $"'{a}'"));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "baton");
        File.WriteAllText(path, $$"""
            #!{{python}}
            import os, sys
            fd = int(os.environ.pop("{{FdVariable}}"))
            if fd != 3:
                os.dup2(fd, 3)
                os.close(fd)
            os.set_inheritable(3, True)
            os.environ["LISTEN_FDS"] = "1"
            os.environ["LISTEN_FDNAMES"] = "public"
            os.environ["LISTEN_PID"] = str(os.getpid())
            argv = [{{argv}}] + sys.argv[1:]
            os.execv(argv[0], argv)

            """);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return directory;
    }
}
