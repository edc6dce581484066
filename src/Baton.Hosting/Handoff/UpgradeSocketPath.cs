using System.Net.Sockets;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Handoff;

/// <summary>
/// Checks, before this process serves, that it may take <c>Lifecycle:SocketPath</c> (issue 11,
/// defect 5): its directory is writable by this user alone (else another user could put their own
/// socket there), and nothing live answers at the path except this process's own upgrade chain —
/// a second instance configured with the same path must not take it from the first. A socket
/// file nobody listens on is stale: <see cref="UpgradeSocketServer"/> takes it.
/// </summary>
public static class UpgradeSocketPath
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Null when this process may take the path; else one line naming the path and why not.</summary>
    /// <param name="path">The upgrade socket's path.</param>
    /// <param name="chain">Pids of this process's upgrade chain (the old process it replaces, and older ones).</param>
    public static async Task<string?> CheckAsync(string path, IReadOnlyCollection<int> chain)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"Lifecycle:SocketPath {path}: its directory {directory} cannot be used: {ex.Message}";
        }

        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            return $"Lifecycle:SocketPath {path}: its directory {directory} is group- or world-writable (mode {Convert.ToString((int)mode, 8)}); another user could replace the upgrade socket: use a directory only this user can write to";
        }

        if (!File.Exists(path))
        {
            return null;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var timeout = new CancellationTokenSource(ConnectTimeout);
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token).ConfigureAwait(false);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable)
        {
            return null; // stale: nobody listens
        }
        catch (SocketException ex)
        {
            return $"Lifecycle:SocketPath {path}: cannot tell who listens there ({ex.Message}); refusing to take it";
        }
        catch (OperationCanceledException)
        {
            return $"Lifecycle:SocketPath {path}: a process listens there but does not accept; refusing to take it";
        }

        var (pid, _, _) = FdPassing.GetPeerCredentials(probe);
        try
        {
            // Tell the server this is only a look (it closes without a warning), then go.
            await probe.SendAsync(new HandoffMessage { Type = HandoffMessage.Probe, Pid = Environment.ProcessId }.Encode(), SocketFlags.None).ConfigureAwait(false);
        }
        catch (SocketException)
        {
        }

        return chain.Contains(pid)
            ? null
            : $"Lifecycle:SocketPath {path}: a live process (pid {pid}) listens there, another Baton with the same SocketPath; give each instance its own SocketPath (or upgrade it with 'baton run --upgrade')";
    }
}
