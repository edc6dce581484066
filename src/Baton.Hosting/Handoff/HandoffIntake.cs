using System.Globalization;
using System.Net.Sockets;
using Baton.Hosting.Interop;
using Baton.Hosting.Lifecycle;
using Baton.Hosting.Systemd;

namespace Baton.Hosting.Handoff;

/// <summary>
/// The new process's side of the handoff (steps N1–N4 of docs/upgrade.md): take the sockets from
/// the environment, systemd or the upgrade socket, validate every fd (open, a socket, listening,
/// the expected family), register them in the <see cref="ListenerTable"/> by key, and report
/// ready or failed back to the old process over the same channel.
/// </summary>
public sealed class HandoffIntake : IDisposable
{
    private readonly List<(int Fd, string Key)> _inherited;
    private UpgradeChannel? _channel;

    private HandoffIntake(IntakeMode mode, List<(int Fd, string Key)> inherited, UpgradeChannel? channel, int[] draining, string? error)
    {
        Supervised = Take(ListenFdsVariable.SupervisedName) == "1" && channel is not null;
        Mode = mode;
        _inherited = inherited;
        _channel = channel;
        DrainingPids = draining;
        Error = error;
    }

    /// <summary>How this process got its listeners: fresh, systemd, re-exec or the upgrade socket.</summary>
    public IntakeMode Mode { get; }

    /// <summary>True for a worker of the supervisor: it keeps the channel after ready and upgrades through it.</summary>
    public bool Supervised { get; }

    /// <summary>Set when the handed-in environment is unusable: the process must not start (exit 2).</summary>
    public string? Error { get; }

    /// <summary>Older generations that are still draining (the old process and its predecessors).</summary>
    public int[] DrainingPids { get; private set; }

    /// <summary>The generation of this process, when the old process told it.</summary>
    public int? Generation { get; private set; }

    /// <summary>Reads (and clears) the handoff variables of the environment.</summary>
    /// <param name="upgradeFromSocket">True for <c>baton run --upgrade</c>.</param>
    public static HandoffIntake FromEnvironment(bool upgradeFromSocket)
    {
        var listenFds = Take(ListenFdsVariable.Name);
        var channelFd = Take(ListenFdsVariable.ChannelName);
        var draining = ListenFdsVariable.ParsePids(Take(ListenFdsVariable.DrainingName));
        UpgradeChannel? channel = null;
        if (channelFd is not null)
        {
            if (!int.TryParse(channelFd, NumberStyles.None, CultureInfo.InvariantCulture, out var fd) || fd < 3)
            {
                return Failed($"{ListenFdsVariable.ChannelName} = '{channelFd}': expected an fd number >= 3");
            }

            if (!IsOpenSocket(fd))
            {
                return Failed($"{ListenFdsVariable.ChannelName} = {fd}: fd {fd} is not an open socket");
            }

            if (ListenSockets.IsCloseOnExec(fd))
            {
                return Failed($"{ListenFdsVariable.ChannelName} = {fd}: fd {fd} is not inherited: it is close-on-exec, so this process opened it itself");
            }

            ListenSockets.SetCloseOnExec(fd, true);
            channel = new UpgradeChannel(SocketPairs.Adopt(fd));
        }

        if (listenFds is not null)
        {
            if (upgradeFromSocket)
            {
                return Failed($"--upgrade takes the listeners from the upgrade socket, but {ListenFdsVariable.Name} is set too; use one");
            }

            if (!ListenFdsVariable.TryParse(listenFds, out var entries, out var error))
            {
                return new HandoffIntake(IntakeMode.ReExec, new(), channel, draining, error);
            }

            return new HandoffIntake(IntakeMode.ReExec, entries, channel, draining, NotInherited(entries, ListenFdsVariable.Name));
        }

        if (upgradeFromSocket)
        {
            return new HandoffIntake(IntakeMode.UpgradeSocket, new(), channel, draining, null);
        }

        var activated = SocketActivation.TakeActivatedSockets().Select(a => (a.Fd, a.Name)).ToList();
        return activated.Count > 0
            ? new HandoffIntake(IntakeMode.Systemd, activated, channel, draining, NotInherited(activated, "LISTEN_FDS"))
            : new HandoffIntake(IntakeMode.None, new(), channel, draining, null);

        static HandoffIntake Failed(string error) => new(IntakeMode.None, new(), null, [], error);
    }

    /// <summary>Validates the handed-in fds and registers them in <paramref name="table"/> by key.</summary>
    /// <exception cref="HandoffException">An fd is unusable, or the old process refused or failed; one line says which.</exception>
    public async Task ReceiveAsync(ListenerTable table, string? socketPath, TimeSpan timeout)
    {
        switch (Mode)
        {
            case IntakeMode.ReExec:
                Register(table, _inherited, ListenerOrigin.Inherited, ListenFdsVariable.Name);
                break;
            case IntakeMode.Systemd:
                Register(table, _inherited, ListenerOrigin.SocketActivated, "LISTEN_FDS");
                break;
            case IntakeMode.UpgradeSocket:
                await ReceiveFromSocketAsync(table, socketPath, timeout).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// Refuses to start a second instance (issue 11, defects 5 and 13): the PID file must not name
    /// another live Baton, and — when this process will listen on the upgrade socket — its path must
    /// be in a directory only this user can write to and not answered by a live process outside
    /// this process's upgrade chain. A supervised worker checks nothing: its supervisor did.
    /// </summary>
    /// <exception cref="HandoffException">One line naming the file or path and who holds it.</exception>
    public async Task EnsureSoleInstanceAsync(LifecycleOptions options, bool hostsUpgradeSocket = true)
    {
        if (Supervised)
        {
            return;
        }

        if (options.PidFile is { } pidFile && PidFile.CheckNotHeld(pidFile, DrainingPids) is { } held)
        {
            throw new HandoffException(held);
        }

        if (hostsUpgradeSocket && options.EnableZeroDowntime && options.SocketPath is { } path
            && await UpgradeSocketPath.CheckAsync(path, DrainingPids).ConfigureAwait(false) is { } taken)
        {
            throw new HandoffException(taken);
        }
    }

    /// <summary>Tells the old process this one serves; waits briefly for its acknowledgement.</summary>
    public async Task ReportReadyAsync()
    {
        if (_channel is not { } channel)
        {
            return;
        }

        try
        {
            await channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Ready, Pid = Environment.ProcessId }).ConfigureAwait(false);
            if (Supervised)
            {
                return; // the supervisor keeps talking: see SupervisorLink
            }

            await channel.ReceiveAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or InvalidDataException or SocketException)
        {
            // The old process is gone or did not answer: this process serves either way.
        }
        finally
        {
            if (!Supervised)
            {
                Dispose();
            }
        }
    }

    /// <summary>The channel to the supervisor, for a supervised worker once it reported ready.</summary>
    internal UpgradeChannel? SupervisorChannel => Supervised ? _channel : null;

    /// <summary>Tells the old process this one failed (it rolls back and keeps serving).</summary>
    public async Task ReportFailureAsync(string reason)
    {
        if (_channel is not { } channel)
        {
            return;
        }

        try
        {
            await channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Failed, Pid = Environment.ProcessId, Reason = reason }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Closes the channel to the old process (or the supervisor).</summary>
    public void Dispose()
    {
        _channel?.Dispose();
        _channel = null;
    }

    private async Task ReceiveFromSocketAsync(ListenerTable table, string? socketPath, TimeSpan timeout)
    {
        if (string.IsNullOrEmpty(socketPath))
        {
            throw new HandoffException("--upgrade needs Baton:Lifecycle:SocketPath: the upgrade socket of the running Baton");
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath)).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new HandoffException($"cannot connect to the upgrade socket {socketPath}: {ex.Message}; is a Baton with Lifecycle:SocketPath = {socketPath} and EnableZeroDowntime running?");
        }

        _channel = new UpgradeChannel(socket);
        var (serverPid, serverUid) = _channel.Peer;
        var mine = FdPassing.GetEffectiveUid();
        if (serverUid != mine)
        {
            // Trust both ways (issue 11, defect 5): listeners from another user's process are not ours to serve.
            throw new HandoffException($"upgrade socket {socketPath}: the process listening there (pid {serverPid}) runs as uid {serverUid}, not this process's uid {mine}; refusing to take listeners from it");
        }

        await _channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Hello, Pid = Environment.ProcessId }).ConfigureAwait(false);
        HandoffMessage? message;
        List<int> fds;
        try
        {
            (message, fds) = await _channel.ReceiveAsync(timeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidDataException or IOException)
        {
            throw new HandoffException($"upgrade socket {socketPath}: {ex.Message}");
        }

        switch (message?.Type)
        {
            case null:
                throw new HandoffException($"upgrade socket {socketPath}: the old process closed the connection before sending its listeners");
            case HandoffMessage.Refused:
                throw new HandoffException($"the running Baton refused the upgrade: {message.Reason}");
            case HandoffMessage.Listeners when message.Keys is { } keys && keys.Length == fds.Count:
                await SendReceiptAsync(_channel, fds).ConfigureAwait(false);
                DrainingPids = message.DrainingPids ?? [];
                Generation = message.Generation;
                Register(table, fds.Zip(keys).ToList(), ListenerOrigin.Received, "upgrade socket");
                break;
            default:
                foreach (var fd in fds)
                {
                    ListenSockets.Close(fd);
                }

                throw new HandoffException($"upgrade socket {socketPath}: unexpected '{message.Type}' message with {fds.Count} fd(s)");
        }
    }

    // The old process gives a silent peer only a few seconds (UpgradeCoordinator.FirstProgressTimeout):
    // say at once that the listeners arrived.
    private static async Task SendReceiptAsync(UpgradeChannel channel, List<int> fds)
    {
        try
        {
            await channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Received, Pid = Environment.ProcessId }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            fds.ForEach(ListenSockets.Close);
            throw new HandoffException($"the old process went away right after it sent the listeners: {ex.Message}");
        }
    }

    private static void Register(ListenerTable table, List<(int Fd, string Key)> entries, ListenerOrigin origin, string from)
    {
        // Validate all before registering any: nothing is half-adopted.
        foreach (var (fd, key) in entries)
        {
            if (!ListenSockets.TryValidate(fd, AddressFamily.Unspecified, out _, out var error))
            {
                throw new HandoffException($"{from}: listener '{key}': {error}; the previous process must pass open listening sockets");
            }
        }

        foreach (var (fd, key) in entries)
        {
            ListenSockets.SetCloseOnExec(fd, true);
            table.AddHandedIn(key, fd, origin);
        }
    }

    // Checked first thing, before this process opens more fds of its own (issue 11, defect 12): the
    // runtime opens fds before Main (/dev/urandom, sockets), so an fd number the variable names but
    // the previous process did not pass may already be one of ours. Every fd this process opens is
    // close-on-exec (.NET and libc here always ask for it); an inherited fd never is, since the
    // spawner (or systemd) cleared the flag for exactly that exec. Not open: Register says so.
    private static string? NotInherited(List<(int Fd, string Key)> entries, string from)
    {
        foreach (var (fd, key) in entries)
        {
            bool closeOnExec;
            try
            {
                closeOnExec = ListenSockets.IsCloseOnExec(fd);
            }
            catch (IOException)
            {
                continue;
            }

            if (closeOnExec)
            {
                return $"{from}: listener '{key}': fd {fd} is not inherited: it is close-on-exec, so this process opened it itself; the previous process must pass open listening sockets";
            }
        }

        return null;
    }

    private static bool IsOpenSocket(int fd)
    {
        try
        {
            _ = ListenSockets.IsCloseOnExec(fd);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string? Take(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, null);
        return string.IsNullOrEmpty(value) ? null : value;
    }
}
