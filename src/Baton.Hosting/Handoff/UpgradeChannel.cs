using System.Net.Sockets;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Handoff;

/// <summary>
/// The connection between an old and a new Baton process: a socketpair end inherited on re-exec,
/// or a connection to the upgrade socket. Carries <see cref="HandoffMessage"/> lines, with fds
/// (SCM_RIGHTS) on the listeners message. Received fds are close-on-exec; fds that arrive with any
/// other message are closed on receipt, so a peer cannot make this process leak them.
/// </summary>
internal sealed class UpgradeChannel : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[HandoffMessage.MaxLength];
    private int _buffered;

    internal UpgradeChannel(Socket socket) => _socket = socket;

    internal Socket Socket => _socket;

    /// <summary>The peer's pid and uid (SO_PEERCRED).</summary>
    public (int Pid, uint Uid) Peer
    {
        get
        {
            var (pid, uid, _) = FdPassing.GetPeerCredentials(_socket);
            return (pid, uid);
        }
    }

    public Task SendAsync(HandoffMessage message, IReadOnlyList<int>? fds = null)
    {
        var bytes = message.Encode();
        var fdArray = fds?.ToArray() ?? [];
        return Task.Run(() => FdPassing.Send(_socket, bytes, fdArray));
    }

    /// <summary>
    /// Receives one message (and, for a <see cref="HandoffMessage.Listeners"/> message, its fds, which
    /// the caller then owns). Null when the peer closed the connection. No thread waits meanwhile:
    /// a zero-byte receive completes when the socket is readable (a worker's channel may be quiet
    /// for days), and cancelling it leaves whatever arrives in the socket for the next call.
    /// </summary>
    /// <param name="timeout">How long to wait for a whole message; <see cref="Timeout.InfiniteTimeSpan"/> for as long as it takes.</param>
    /// <param name="cancellationToken">Ends the wait (<see cref="OperationCanceledException"/>).</param>
    /// <exception cref="TimeoutException">Nothing complete arrived in time.</exception>
    /// <exception cref="InvalidDataException">Garbage: not a message of this protocol.</exception>
    public async Task<(HandoffMessage? Message, List<int> Fds)> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var fds = new List<int>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                int newline = Array.IndexOf(_buffer, (byte)'\n', 0, _buffered);
                if (newline >= 0)
                {
                    var message = HandoffMessage.TryDecode(_buffer.AsSpan(0, newline), out var error)
                        ?? throw new InvalidDataException(error);
                    Array.Copy(_buffer, newline + 1, _buffer, 0, _buffered - newline - 1);
                    _buffered -= newline + 1;
                    if (message.Type != HandoffMessage.Listeners)
                    {
                        CloseAll(fds); // fds ride only on listeners (issue 11, defect 10)
                    }

                    return (message, fds);
                }

                if (_buffered == _buffer.Length)
                {
                    throw new InvalidDataException($"no message within {_buffer.Length} bytes");
                }

                if (FdPassing.TryReceive(_socket, _buffer.AsSpan(_buffered), fds, out int n))
                {
                    if (n == 0)
                    {
                        CloseAll(fds);
                        return (null, fds);
                    }

                    _buffered += n;
                    continue;
                }

                try
                {
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"no message within {timeout.TotalSeconds:0.#} s");
                }
                catch (SocketException ex)
                {
                    throw new IOException($"recv: {ex.Message}", ex);
                }
            }
        }
        catch
        {
            CloseAll(fds);
            throw;
        }
    }

    private static void CloseAll(List<int> fds)
    {
        foreach (var fd in fds)
        {
            ListenSockets.Close(fd);
        }

        fds.Clear();
    }

    public void Dispose() => _socket.Dispose();
}
