using System.Globalization;
using System.Net.Sockets;
using Baton.Hosting.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting.Systemd;

/// <summary>
/// <c>sd_notify</c> without libsystemd: datagrams to <c>NOTIFY_SOCKET</c> (READY=1, RELOADING=1,
/// MAINPID=, STOPPING=1). With <c>NotifyAccess=all</c> the new process of a re-exec announces
/// itself as MAINPID. Socket activation is <see cref="SocketActivation"/>.
/// </summary>
internal sealed partial class SystemdNotifier
{
    private readonly string? _notifySocket;
    private readonly ILogger _logger;

    public SystemdNotifier(ILogger<SystemdNotifier> logger)
        : this(logger, Environment.GetEnvironmentVariable("NOTIFY_SOCKET"))
    {
    }

    /// <summary>Notifies <paramref name="notifySocket"/> (a path, or <c>@name</c> for an abstract socket) instead of <c>NOTIFY_SOCKET</c>.</summary>
    internal SystemdNotifier(ILogger<SystemdNotifier> logger, string? notifySocket)
    {
        _logger = logger;
        _notifySocket = notifySocket;
    }

    /// <summary>True when systemd expects notifications (Type=notify).</summary>
    public bool IsNotifyEnabled => !string.IsNullOrEmpty(_notifySocket);

    /// <summary><c>READY=1</c>: the service serves (start-up finished, or an upgrade rolled back).</summary>
    public void Ready() => Notify("READY=1");

    /// <summary>
    /// <c>MAINPID=</c> this process, then <c>READY=1</c>: this process took over from another (an
    /// upgrade) and is now the service's main process (<c>NotifyAccess=all</c> lets it say so).
    /// </summary>
    public void ReadyAsMainProcess()
        => Notify(string.Create(CultureInfo.InvariantCulture, $"MAINPID={Environment.ProcessId}\nREADY=1"));

    /// <summary><c>RELOADING=1</c> with the monotonic timestamp systemd 253+ requires: an upgrade began.</summary>
    public void Reloading()
        => Notify(string.Create(CultureInfo.InvariantCulture, $"RELOADING=1\nMONOTONIC_USEC={System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000)}"));

    /// <summary><c>STOPPING=1</c>: the service began to stop.</summary>
    public void Stopping() => Notify("STOPPING=1");

    // One datagram of newline-separated assignments. Does nothing outside systemd.
    private void Notify(string state)
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

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.SystemdNotified, LogLevel.Debug, "sd_notify: {State}", EventName = nameof(BatonEventIds.SystemdNotified))]
        public static partial void Notified(ILogger logger, string state);

        [LoggerMessage(BatonEventIds.SystemdNotifyFailed, LogLevel.Warning, "sd_notify {State} failed: {Error}", EventName = nameof(BatonEventIds.SystemdNotifyFailed))]
        public static partial void NotifyFailed(ILogger logger, string state, string error);
    }
}
