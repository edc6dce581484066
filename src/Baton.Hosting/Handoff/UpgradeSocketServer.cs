using System.Net.Sockets;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Interop;
using Baton.Hosting.Lifecycle;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Hosting.Handoff;

/// <summary>
/// The upgrade socket (<c>Lifecycle:SocketPath</c>, Pingora's <c>upgrade_sock</c>): a Unix socket,
/// mode 0600, on which a new process started with <c>baton run --upgrade</c> asks for the
/// listeners. The peer's uid must be this process's (SO_PEERCRED); its first line must be a hello
/// within 5 s. Anything else is refused and logged, and this process is unharmed. It listens only
/// once this process is ready, so a failed successor never takes the path from a working one.
/// </summary>
internal sealed partial class UpgradeSocketServer : IDisposable
{
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(5);
    private readonly LifecycleOptions _options;
    private readonly UpgradeCoordinator _coordinator;
    private readonly LifecycleState _state;
    private readonly ILogger _logger;
    private Socket? _listener;
    private (Socket Listener, string Path)? _bound;
    private bool _handedOver;

    public UpgradeSocketServer(IOptions<LifecycleOptions> options, UpgradeCoordinator coordinator, LifecycleState state, ILogger<UpgradeSocketServer> logger)
    {
        _options = options.Value;
        _coordinator = coordinator;
        _state = state;
        _logger = logger;
    }

    /// <summary>
    /// Binds the socket under a private name beside <c>Lifecycle:SocketPath</c> and listens: the
    /// fallible part, done before this process reports ready (issue 11, defect 2). Returns the
    /// one-line reason when it cannot; nothing answers on the path until <see cref="Start"/>.
    /// </summary>
    public string? Bind()
    {
        if (!_options.EnableZeroDowntime || _options.SocketPath is not { } path)
        {
            return null;
        }

        if (Directory.Exists(path))
        {
            return $"upgrade socket {path}: is a directory";
        }

        // Bind a private name, then (Start) rename it over the path: the takeover from a stale
        // file, or from the generation this one replaced, is atomic. .NET unlinks the name it bound
        // when the socket is disposed; that is the private name, never the path a newer generation owns.
        var bound = $"{path}.{Environment.ProcessId}";
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            File.Delete(bound);
            listener.Bind(new UnixDomainSocketEndPoint(bound));
            File.SetUnixFileMode(bound, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(8);
        }
        catch (Exception ex) when (ex is IOException or SocketException or UnauthorizedAccessException)
        {
            listener.Dispose();
            return $"upgrade socket {path}: cannot bind {bound}: {ex.Message}";
        }

        _bound = (listener, bound);
        return null;
    }

    /// <summary>After ready: takes the path (a rename within one directory) and accepts.</summary>
    public void Start()
    {
        if (_bound is not { } prepared || _options.SocketPath is not { } path)
        {
            return;
        }

        _bound = null;
        var listener = prepared.Listener;
        File.Move(prepared.Path, path, overwrite: true);
        _listener = listener;
        _state.PhaseChanged += OnPhaseChanged;
        Log.Listening(_logger, path);
        _ = AcceptLoopAsync(listener);
    }

    public void Dispose()
    {
        if (_bound is { } prepared)
        {
            _bound = null;
            prepared.Listener.Dispose(); // bound but never started: .NET unlinks the private name
        }

        _state.PhaseChanged -= OnPhaseChanged;
        var listener = Interlocked.Exchange(ref _listener, null);
        if (listener is null)
        {
            return;
        }

        listener.Dispose();
        if (!_handedOver && _options.SocketPath is { } path)
        {
            File.Delete(path);
        }
    }

    private void OnPhaseChanged(LifecyclePhase previous, LifecyclePhase now)
    {
        if (now == LifecyclePhase.UpgradeDraining)
        {
            // The new process owns the path now; close ours without unlinking it.
            _handedOver = true;
            Dispose();
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = HandleAsync(connection);
        }
    }

    private async Task HandleAsync(Socket connection)
    {
        var channel = new UpgradeChannel(connection);
        try
        {
            var (pid, uid) = channel.Peer;
            var mine = FdPassing.GetEffectiveUid();
            if (uid != mine)
            {
                Log.Rejected(_logger, pid, $"peer uid {uid} is not this process's uid {mine}");
                await TryRefuseAsync(channel, "foreign uid").ConfigureAwait(false);
                return;
            }

            HandoffMessage? hello;
            try
            {
                (hello, var fds) = await channel.ReceiveAsync(HelloTimeout).ConfigureAwait(false);
                foreach (var fd in fds)
                {
                    ListenSockets.Close(fd);
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or TimeoutException or IOException)
            {
                Log.Rejected(_logger, pid, ex.Message);
                return;
            }

            if (hello?.Type == HandoffMessage.Probe)
            {
                return; // a starting instance checking who holds the path (UpgradeSocketPath)
            }

            if (hello?.Type != HandoffMessage.Hello)
            {
                Log.Rejected(_logger, pid, hello is null ? "disconnected before saying hello" : $"'{hello.Type}' instead of hello");
                return;
            }

            var result = await _coordinator.AcceptPeerAsync(channel, pid).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                await TryRefuseAsync(channel, result.Message).ConfigureAwait(false);
            }
        }
        finally
        {
            channel.Dispose();
        }
    }

    private static async Task TryRefuseAsync(UpgradeChannel channel, string reason)
    {
        try
        {
            await channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Refused, Pid = Environment.ProcessId, Reason = reason }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.UpgradeSocketListening, LogLevel.Information, "Upgrade socket listening on {Path} (mode 0600)", EventName = nameof(BatonEventIds.UpgradeSocketListening))]
        public static partial void Listening(ILogger logger, string path);

        [LoggerMessage(BatonEventIds.UpgradeSocketRejected, LogLevel.Warning, "Upgrade socket: refused a connection from pid {Pid}: {Reason}; still serving", EventName = nameof(BatonEventIds.UpgradeSocketRejected))]
        public static partial void Rejected(ILogger logger, int pid, string reason);
    }
}
