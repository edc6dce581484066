using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Baton.FunctionalTests.Infrastructure;

/// <summary>A GOAWAY frame as received (RFC 9113 §6.8).</summary>
public sealed record GoAwayFrame(int LastStreamId, int ErrorCode, long Timestamp);

/// <summary>What one stream received until it ended.</summary>
/// <param name="Status">The response's <c>:status</c> when the header block starts with a static-table index (8–14); else 0.</param>
/// <param name="Body">The DATA payload.</param>
/// <param name="EndStream">True when a frame carried END_STREAM; false when the stream was reset.</param>
/// <param name="ResetCode">The RST_STREAM error code, if reset.</param>
/// <param name="Timestamp">When the end was seen.</param>
public sealed record H2StreamResult(int Status, string Body, bool EndStream, int? ResetCode, long Timestamp);

/// <summary>
/// A minimal HTTP/2 prior-knowledge (h2c) client on one TCP connection. It sends the preface,
/// its SETTINGS, acknowledges the server's SETTINGS and the requests it is told to send — and
/// nothing else: after a GOAWAY it stays silent, as the client Kestrel cannot close does. With
/// <c>goAwayStall</c> it is instead a busy client: it reads the first GOAWAY that long after it
/// arrived (<see cref="GoAwayProcessed"/>; frames after it wait too), and acknowledges PINGs.
/// Records every GOAWAY, each stream's end and the connection's end.
/// </summary>
public sealed class RawH2cConnection : IAsyncDisposable
{
    private const byte Data = 0x0, Headers = 0x1, RstStream = 0x3, Settings = 0x4, Ping = 0x6, GoAway = 0x7;
    private const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4, Padded = 0x8, PriorityFlag = 0x20;

    private readonly Socket _socket;
    private readonly string _authority;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<int, StreamState> _streams = new();
    private readonly TaskCompletionSource<GoAwayFrame> _firstGoAway = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<ConnectionEnd> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<GoAwayFrame> _goAways = new();
    private readonly TaskCompletionSource<IReadOnlyDictionary<int, uint>> _serverSettings = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _goAwayProcessed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeSpan? _goAwayStall;
    private Task _reader = Task.CompletedTask;

    private RawH2cConnection(Socket socket, string authority, TimeSpan? goAwayStall)
    {
        _socket = socket;
        _authority = authority;
        _goAwayStall = goAwayStall;
    }

    /// <summary>With a <c>goAwayStall</c>: completes once this client read the first GOAWAY (it must open no stream after that).</summary>
    public Task GoAwayProcessed => _goAwayProcessed.Task;

    /// <summary>The first GOAWAY.</summary>
    public Task<GoAwayFrame> FirstGoAway => _firstGoAway.Task;

    /// <summary>Every GOAWAY so far, in order.</summary>
    public IReadOnlyCollection<GoAwayFrame> GoAways => _goAways.ToArray();

    /// <summary>The parameters of the server's first SETTINGS frame (identifier → value; 3 is SETTINGS_MAX_CONCURRENT_STREAMS).</summary>
    public Task<IReadOnlyDictionary<int, uint>> ServerSettings => _serverSettings.Task;

    /// <summary>Completes when the server ends the connection (FIN or reset).</summary>
    public Task<ConnectionEnd> Closed => _closed.Task;

    public static async Task<RawH2cConnection> ConnectAsync(Uri uri, TimeSpan timeout, TimeSpan? goAwayStall = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(timeout);
        await socket.ConnectAsync(uri.Host, uri.Port, cts.Token);
        var connection = new RawH2cConnection(socket, $"{uri.Host}:{uri.Port}", goAwayStall);
        var preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
        await connection.WriteAsync(preface);
        await connection.WriteFrameAsync(Settings, 0, 0, []);
        connection._reader = Task.Run(connection.ReadLoopAsync);
        return connection;
    }

    /// <summary>Sends a GET on <paramref name="streamId"/> (odd, increasing); returns the task of its end.</summary>
    public async Task<H2StreamResult> GetAsync(int streamId, string pathAndQuery)
    {
        var state = _streams.GetOrAdd(streamId, _ => new StreamState());
        var block = new MemoryStream();
        block.WriteByte(0x82); // :method GET (static index 2)
        block.WriteByte(0x86); // :scheme http (static index 6)
        WriteLiteral(block, 4, pathAndQuery); // :path, literal without indexing, indexed name 4
        WriteLiteral(block, 1, _authority); // :authority, indexed name 1
        await WriteFrameAsync(Headers, EndHeaders | EndStream, streamId, block.ToArray());
        return await state.Done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        try
        {
            await _reader;
        }
        catch (Exception)
        {
        }
    }

    private static void WriteLiteral(MemoryStream block, int nameIndex, string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value);
        if (bytes.Length >= 127)
        {
            throw new ArgumentException("value too long for this minimal encoder", nameof(value));
        }

        block.WriteByte((byte)nameIndex);
        block.WriteByte((byte)bytes.Length);
        block.Write(bytes);
    }

    private async Task ReadLoopAsync()
    {
        var header = new byte[9];
        try
        {
            while (true)
            {
                if (!await ReadExactlyAsync(header))
                {
                    End(ConnectionEnd.Now(fin: true));
                    return;
                }

                int length = (header[0] << 16) | (header[1] << 8) | header[2];
                byte type = header[3], flags = header[4];
                int streamId = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
                var payload = new byte[length];
                if (!await ReadExactlyAsync(payload))
                {
                    End(ConnectionEnd.Now(fin: true));
                    return;
                }

                await OnFrameAsync(type, flags, streamId, payload);
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            End(ConnectionEnd.FromException(ex));
        }
    }

    private async Task OnFrameAsync(byte type, byte flags, int streamId, byte[] payload)
    {
        var now = Stopwatch.GetTimestamp();
        switch (type)
        {
            case Settings when (flags & Ack) == 0:
                var parameters = new Dictionary<int, uint>();
                for (int i = 0; i + 6 <= payload.Length; i += 6)
                {
                    parameters[BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(i))] = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(i + 2));
                }

                _serverSettings.TrySetResult(parameters);
                await TryWriteFrameAsync(Settings, Ack, 0, []);
                break;
            case Ping when (flags & Ack) == 0 && (!_firstGoAway.Task.IsCompleted || _goAwayStall is not null):
                await TryWriteFrameAsync(Ping, Ack, 0, payload);
                break;
            case GoAway:
                var frame = new GoAwayFrame(BinaryPrimitives.ReadInt32BigEndian(payload) & 0x7FFFFFFF, BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)), now);
                _goAways.Enqueue(frame);
                _firstGoAway.TrySetResult(frame);
                if (_goAwayStall is { } stall && !_goAwayProcessed.Task.IsCompleted)
                {
                    await Task.Delay(stall);
                    _goAwayProcessed.TrySetResult();
                }

                break;
            case Headers when _streams.TryGetValue(streamId, out var s):
                var block = payload.AsSpan(((flags & Padded) != 0 ? 1 : 0) + ((flags & PriorityFlag) != 0 ? 5 : 0));
                if (s.Status == 0 && block.Length > 0 && block[0] is >= 0x88 and <= 0x8E)
                {
                    s.Status = (block[0] & 0x7F) switch { 8 => 200, 9 => 204, 10 => 206, 11 => 304, 12 => 400, 13 => 404, _ => 500 };
                }

                if ((flags & EndStream) != 0)
                {
                    s.Finish(true, null, now);
                }

                break;
            case Data when _streams.TryGetValue(streamId, out var s):
                int pad = (flags & Padded) != 0 ? payload[0] : 0;
                s.Body.Append(Encoding.UTF8.GetString(payload, (flags & Padded) != 0 ? 1 : 0, payload.Length - pad - ((flags & Padded) != 0 ? 1 : 0)));
                if ((flags & EndStream) != 0)
                {
                    s.Finish(true, null, now);
                }

                break;
            case RstStream when _streams.TryGetValue(streamId, out var s):
                s.Finish(false, BinaryPrimitives.ReadInt32BigEndian(payload), now);
                break;
        }
    }

    private void End(ConnectionEnd end)
    {
        _closed.TrySetResult(end);
        foreach (var s in _streams.Values)
        {
            s.Done.TrySetException(new IOException($"connection ended ({end}) before the stream did; body so far: '{s.Body}'"));
        }
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    // An acknowledgement the server no longer reads (it closed its side) must not stop this reader:
    // what the server sent before its FIN is still to be read.
    private async Task TryWriteFrameAsync(byte type, byte flags, int streamId, byte[] payload)
    {
        try
        {
            await WriteFrameAsync(type, flags, streamId, payload);
        }
        catch (SocketException)
        {
        }
    }

    private async Task WriteFrameAsync(byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        await WriteAsync(frame);
    }

    private async Task WriteAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, SocketFlags.None);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private sealed class StreamState
    {
        public TaskCompletionSource<H2StreamResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public StringBuilder Body { get; } = new();

        public int Status { get; set; }

        public void Finish(bool endStream, int? resetCode, long timestamp)
            => Done.TrySetResult(new H2StreamResult(Status, Body.ToString(), endStream, resetCode, timestamp));
    }
}
