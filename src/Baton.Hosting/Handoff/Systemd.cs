using System.Globalization;
using System.Net.Sockets;
using Baton.Hosting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting.Handoff;

/// <summary>
/// systemd integration without libsystemd: socket activation (<c>LISTEN_FDS</c>,
/// <c>LISTEN_PID</c>, <c>LISTEN_FDNAMES</c>; fds start at 3) and <c>sd_notify</c> datagrams to
/// <c>NOTIFY_SOCKET</c> (READY=1, RELOADING=1, MAINPID=, STOPPING=1). With
/// <c>NotifyAccess=all</c> the new process of a re-exec announces itself as MAINPID.
/// </summary>
public sealed partial class Systemd
{
    private const int FirstFd = 3;
    private readonly string? _notifySocket = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
    private readonly ILogger _logger;

    public Systemd(ILogger<Systemd> logger) => _logger = logger;

    /// <summary>True when systemd expects notifications (Type=notify).</summary>
    public bool IsNotifyEnabled => !string.IsNullOrEmpty(_notifySocket);

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

    /// <summary>Sends one notification (newline-separated assignments). Does nothing outside systemd.</summary>
    public void Notify(string state)
    {
        if (!IsNotifyEnabled)
        {
            return;
        }

        try
        {
            var path = _notifySocket!.StartsWith('@') ? "\0" + _notifySocket[1..] : _notifySocket;
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(System.Text.Encoding.UTF8.GetBytes(state));
            Log.Notified(_logger, state.ReplaceLineEndings(" "));
        }
        catch (SocketException ex)
        {
            Log.NotifyFailed(_logger, state.ReplaceLineEndings(" "), ex.Message);
        }
    }

    /// <summary>RELOADING=1 with the monotonic timestamp systemd 253+ requires.</summary>
    public void NotifyReloading()
        => Notify(string.Create(CultureInfo.InvariantCulture, $"RELOADING=1\nMONOTONIC_USEC={System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000)}"));

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.SystemdNotified, LogLevel.Debug, "sd_notify: {State}", EventName = nameof(BatonEventIds.SystemdNotified))]
        public static partial void Notified(ILogger logger, string state);

        [LoggerMessage(BatonEventIds.SystemdNotifyFailed, LogLevel.Warning, "sd_notify {State} failed: {Error}", EventName = nameof(BatonEventIds.SystemdNotifyFailed))]
        public static partial void NotifyFailed(ILogger logger, string state, string error);
    }
}
