using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Baton.FunctionalTests.Infrastructure;

/// <summary>
/// An upstream that speaks just enough HTTP/1.1 keep-alive (GET, Content-Length responses) over
/// raw sockets to see how each connection from the proxy ends: an orderly FIN (a 0-byte read) or
/// a reset. A Kestrel upstream hides that difference; this one records it.
/// </summary>
public sealed class RawTcpUpstream : IAsyncDisposable
{
    private static readonly byte[] s_response = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nraw upstream\n");

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<UpstreamConnection> _connections = new();
    private readonly List<Task> _tasks = new();
    private Task _acceptLoop = Task.CompletedTask;

    /// <summary>The process whose liveness each connection end records (the proxy), once known.</summary>
    public int? PeerPid { get; set; }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

    /// <summary>Every connection accepted so far.</summary>
    public IReadOnlyCollection<UpstreamConnection> Connections => _connections.ToArray();

    public static RawTcpUpstream Start()
    {
        var upstream = new RawTcpUpstream();
        upstream._listener.Start();
        upstream._acceptLoop = Task.Run(upstream.AcceptLoopAsync);
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var c in _connections)
        {
            c.Socket.Dispose();
        }

        await Task.WhenAll(_tasks.Append(_acceptLoop).Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var connection = new UpstreamConnection(socket);
            _connections.Enqueue(connection);
            lock (_tasks)
            {
                _tasks.Add(Task.Run(() => ServeAsync(connection)));
            }
        }
    }

    private async Task ServeAsync(UpstreamConnection connection)
    {
        var buffer = new byte[16 * 1024];
        int filled = 0;
        try
        {
            while (true)
            {
                int n = await connection.Socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    connection.SetEnded(ConnectionEnd.Now(fin: true), PeerPid);
                    return;
                }

                filled += n;
                int end;
                while ((end = IndexOfHeadEnd(buffer, filled)) >= 0)
                {
                    // GET only: no request body to skip.
                    Buffer.BlockCopy(buffer, end, buffer, 0, filled - end);
                    filled -= end;
                    connection.RequestServed();
                    await connection.Socket.SendAsync(s_response, SocketFlags.None, _stop.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            connection.SetEnded(ConnectionEnd.FromException(ex), PeerPid);
        }
    }

    private static int IndexOfHeadEnd(byte[] buffer, int length)
    {
        int i = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
        return i < 0 ? -1 : i + 4;
    }
}

/// <summary>One connection the proxy opened to <see cref="RawTcpUpstream"/>.</summary>
public sealed class UpstreamConnection
{
    private readonly TaskCompletionSource<(ConnectionEnd End, bool PeerRunning)> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal UpstreamConnection(Socket socket) => Socket = socket;

    internal Socket Socket { get; }

    private int _requests;

    /// <summary>Requests answered on this connection.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>How the connection ended, and whether the peer process was still running at that moment.</summary>
    public Task<(ConnectionEnd End, bool PeerRunning)> Ended => _ended.Task;

    internal void RequestServed() => Interlocked.Increment(ref _requests);

    /// <summary>
    /// True once the peer's FIN (or RST) has reached this socket, read or not: poll(2) then reports
    /// it readable with nothing to read. Checked when the peer logs that it closed its side, it
    /// proves the close came before that log line, not from the kernel at the peer's exit.
    /// </summary>
    public bool EndArrived => Ended.IsCompleted || (Socket.Poll(0, SelectMode.SelectRead) && Socket.Available == 0);

    internal void SetEnded(ConnectionEnd end, int? peerPid)
        => _ended.TrySetResult((end, peerPid is { } pid && ProcessState.IsRunning(pid)));
}

/// <summary>Reads a process's state from <c>/proc</c>.</summary>
public static class ProcessState
{
    /// <summary>True when the process exists and is neither a zombie nor dead (<c>/proc/pid/stat</c> state).</summary>
    public static bool IsRunning(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return false;
        }

        // "pid (comm) S ...": the state follows the last ')', since comm may contain anything.
        int close = stat.LastIndexOf(')');
        char state = close >= 0 && close + 2 < stat.Length ? stat[close + 2] : 'X';
        return state is not ('Z' or 'X' or 'x');
    }
}
