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
    private readonly string? _notifySocket = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
    private readonly ILogger _logger;

    public SystemdNotifier(ILogger<SystemdNotifier> logger) => _logger = logger;

    /// <summary>True when systemd expects notifications (Type=notify).</summary>
    public bool IsNotifyEnabled => !string.IsNullOrEmpty(_notifySocket);

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
