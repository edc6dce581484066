using System.Globalization;

namespace Baton.Hosting.Systemd;

/// <summary>
/// systemd socket activation without libsystemd: <c>LISTEN_FDS</c>, <c>LISTEN_PID</c>,
/// <c>LISTEN_FDNAMES</c>; fds start at 3.
/// </summary>
internal static class SocketActivation
{
    private const int FirstFd = 3;

    /// <summary>
    /// The sockets systemd passed to this process, named by <c>LISTEN_FDNAMES</c> (else by index).
    /// Clears the variables so that processes started later do not see them.
    /// </summary>
    public static List<(int Fd, string Name)> TakeActivatedSockets()
    {
        var result = new List<(int Fd, string Name)>();
        var pid = Environment.GetEnvironmentVariable("LISTEN_PID");
        var count = Environment.GetEnvironmentVariable("LISTEN_FDS");
        var names = (Environment.GetEnvironmentVariable("LISTEN_FDNAMES") ?? "").Split(':');
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        if (pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture)
            || !int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return result;
        }

        for (int i = 0; i < n; i++)
        {
            var name = i < names.Length && names[i].Length > 0 && names[i] != "unknown" ? names[i] : $"systemd-{i}";
            result.Add((FirstFd + i, name));
        }

        return result;
    }
}
