using System.Net.Sockets;
using System.Text;

namespace Baton.FunctionalTests.Infrastructure;

/// <summary>How a TCP connection ended, as its reader saw it.</summary>
/// <param name="Fin">True for an orderly close (a read returned 0 bytes); false for a reset or another error.</param>
/// <param name="Error">The socket error when it was not a FIN (<see cref="SocketError.ConnectionReset"/> for an RST).</param>
/// <param name="Timestamp">When the reader saw it (<see cref="System.Diagnostics.Stopwatch"/> timestamp).</param>
public sealed record ConnectionEnd(bool Fin, SocketError? Error, long Timestamp)
{
    public static ConnectionEnd Now(bool fin, SocketError? error = null) => new(fin, error, System.Diagnostics.Stopwatch.GetTimestamp());

    /// <summary>Maps a read failure to a <see cref="ConnectionEnd"/>.</summary>
    public static ConnectionEnd FromException(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException se)
            {
                return Now(false, se.SocketErrorCode);
            }
        }

        return Now(false, SocketError.SocketError);
    }

    public override string ToString() => Fin ? "FIN" : $"error {Error}";
}

/// <summary>A raw HTTP/1.1 client on one TCP connection: what a keep-alive client puts on the wire, nothing more.</summary>
public sealed class RawHttp1Connection : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private RawHttp1Connection(Socket socket) => _socket = socket;

    public static async Task<RawHttp1Connection> ConnectAsync(Uri uri, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await socket.ConnectAsync(uri.Host, uri.Port, cts.Token);
            return new RawHttp1Connection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <c>GET path</c> with keep-alive (HTTP/1.1's default) and reads the whole response.</summary>
    /// <param name="pathAndQuery">The request target.</param>
    /// <param name="timeout">For the whole exchange.</param>
    /// <param name="headerLines">More header lines, verbatim, each ending with CRLF (a header given twice, odd spacing).</param>
    /// <param name="version">The request line's version (<c>HTTP/1.0</c> needs <c>Connection: keep-alive</c> to keep the connection).</param>
    public async Task<RawHttpResponse> GetAsync(string pathAndQuery, TimeSpan timeout, string headerLines = "", string version = "HTTP/1.1")
    {
        using var cts = new CancellationTokenSource(timeout);
        var request = $"GET {pathAndQuery} {version}\r\nHost: {_socket.RemoteEndPoint}\r\n{headerLines}\r\n";
        await _socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cts.Token);
        var head = await ReadLineBlockAsync(cts.Token);
        var lines = head.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var body = new MemoryStream();
        if (headers.TryGetValue("Content-Length", out var length))
        {
            await ReadExactlyAsync(body, int.Parse(length, System.Globalization.CultureInfo.InvariantCulture), cts.Token);
        }
        else if (headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var size = Convert.ToInt32((await ReadLineAsync(cts.Token)).Split(';')[0], 16);
                await ReadExactlyAsync(body, size, cts.Token);
                await ReadLineAsync(cts.Token);
                if (size == 0)
                {
                    break;
                }
            }
        }

        return new RawHttpResponse(status, headers, Encoding.UTF8.GetString(body.ToArray()));
    }

    /// <summary>Waits until the server ends the connection: a FIN (0-byte read) or a reset. Bytes received meanwhile fail the wait.</summary>
    public async Task<ConnectionEnd> WaitForCloseAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                return ConnectionEnd.Now(fin: true);
            }

            throw new InvalidOperationException($"expected the connection to close; received {n} byte(s): {Encoding.ASCII.GetString(_buffer, _end, n)}");
        }
        catch (SocketException ex)
        {
            return ConnectionEnd.FromException(ex);
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task<string> ReadLineBlockAsync(CancellationToken ct)
    {
        var sb = new StringBuilder();
        while (true)
        {
            var line = await ReadLineAsync(ct);
            if (line.Length == 0)
            {
                return sb.ToString().TrimEnd('\r', '\n');
            }

            sb.Append(line).Append("\r\n");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            int i = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (i >= 0)
            {
                var line = Encoding.ASCII.GetString(_buffer, _start, i - _start).TrimEnd('\r');
                _start = i + 1;
                return line;
            }

            await FillAsync(ct);
        }
    }

    private async Task ReadExactlyAsync(MemoryStream into, int count, CancellationToken ct)
    {
        while (count > 0)
        {
            if (_start == _end)
            {
                await FillAsync(ct);
            }

            int take = Math.Min(count, _end - _start);
            into.Write(_buffer, _start, take);
            _start += take;
            count -= take;
        }
    }

    private async Task FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, ct);
        if (n == 0)
        {
            throw new IOException("the server closed the connection mid-response");
        }

        _end += n;
    }
}

/// <summary>A response read by <see cref="RawHttp1Connection"/>.</summary>
public sealed record RawHttpResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public bool ConnectionClose => Headers.TryGetValue("Connection", out var c) && c.Contains("close", StringComparison.OrdinalIgnoreCase);
}
