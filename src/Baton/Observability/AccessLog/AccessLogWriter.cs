using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;

namespace Baton.Observability.AccessLog;

/// <summary>
/// The access log's writer: requests hand their entry to a bounded channel and return at once;
/// one background loop formats the entries into a reused buffer and writes whole lines (at most
/// ~4 KiB per write(2), so on a pipe shared with other generations lines never interleave).
/// A full channel drops the line and counts it; it never makes a request wait. With a file, the
/// file is reopened on SIGUSR1 (logrotate's <c>postrotate</c>, as nginx).
/// </summary>
internal sealed partial class AccessLogWriter : IDisposable
{
    // SIGUSR1 has no PosixSignal member; PosixSignalRegistration takes raw Linux signal numbers.
    private const PosixSignal SigUsr1 = (PosixSignal)10;
    private const int FlushBytes = 3584;
    private readonly Channel<AccessLogEntry> _channel;
    private readonly AccessLogOptions _options;
    private readonly AccessLogFormatter _formatter;
    private readonly ILogger _logger;
    private readonly PosixSignalRegistration? _usr1;
    private readonly Task _loop;
    private Stream _output;
    private long _dropped;
    private long _written;
    private readonly object _outputGate = new();

    public AccessLogWriter(AccessLogOptions options, ProcessIdentity identity, ILogger<AccessLogWriter> logger)
    {
        _options = options;
        _logger = logger;
        _formatter = new AccessLogFormatter(options.Format, identity.Pid, () => identity.Generation);
        _channel = Channel.CreateBounded<AccessLogEntry>(new BoundedChannelOptions(options.BufferLines)
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: refused when full, never waits
            SingleReader = true,
            AllowSynchronousContinuations = false,
        });
        _output = Open();
        if (options.Path is not null)
        {
            _usr1 = PosixSignalRegistration.Create(SigUsr1, ctx =>
            {
                ctx.Cancel = true;
                Reopen();
            });
        }

        Log.Opened(_logger, options.Path ?? "stdout", options.Format.ToString());
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Lines dropped because the buffer was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Lines written.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Queues one line; never blocks.</summary>
    public void Add(in AccessLogEntry entry)
    {
        if (!_channel.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public void Dispose()
    {
        // The last requests' lines are written before the process exits.
        _channel.Writer.TryComplete();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _usr1?.Dispose();
        lock (_outputGate)
        {
            _output.Dispose();
        }
    }

    private async Task RunAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(8192);
        var reader = _channel.Reader;
        long reportedDrops = 0, reportedAt = 0;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            long lines = 0;
            while (reader.TryRead(out var entry))
            {
                _formatter.Write(buffer, entry);
                lines++;
                if (buffer.WrittenCount >= FlushBytes)
                {
                    Flush(buffer);
                }
            }

            Flush(buffer);
            Interlocked.Add(ref _written, lines);
            var dropped = Dropped;
            if (dropped != reportedDrops && Environment.TickCount64 - reportedAt >= 10_000)
            {
                reportedAt = Environment.TickCount64;
                Log.Dropped(_logger, dropped - reportedDrops, dropped, _options.BufferLines);
                reportedDrops = dropped;
            }
        }
    }

    private void Flush(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.WrittenCount == 0)
        {
            return;
        }

        try
        {
            lock (_outputGate)
            {
                _output.Write(buffer.WrittenSpan);
            }
        }
        catch (IOException ex)
        {
            Log.WriteFailed(_logger, _options.Path ?? "stdout", ex.Message);
        }

        buffer.ResetWrittenCount();
    }

    private Stream Open()
    {
        if (_options.Path is null)
        {
            return Console.OpenStandardOutput();
        }

        // O_APPEND: the generations of an upgrade append to the same file without overwriting.
        return new FileStream(_options.Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
    }

    private void Reopen()
    {
        try
        {
            var next = Open();
            lock (_outputGate)
            {
                _output.Dispose();
                _output = next;
            }

            Log.Reopened(_logger, _options.Path!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.WriteFailed(_logger, _options.Path!, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.AccessLogOpened, LogLevel.Information, "Access log: {Target} ({Format})", EventName = nameof(BatonEventIds.AccessLogOpened))]
        public static partial void Opened(ILogger logger, string target, string format);

        [LoggerMessage(BatonEventIds.AccessLogReopened, LogLevel.Information, "Access log reopened on SIGUSR1: {Path}", EventName = nameof(BatonEventIds.AccessLogReopened))]
        public static partial void Reopened(ILogger logger, string path);

        [LoggerMessage(BatonEventIds.AccessLogDropped, LogLevel.Warning, "Access log fell behind: {Count} line(s) dropped ({Total} in all); the buffer holds {BufferLines} lines (Baton:AccessLog:BufferLines)", EventName = nameof(BatonEventIds.AccessLogDropped))]
        public static partial void Dropped(ILogger logger, long count, long total, int bufferLines);

        [LoggerMessage(BatonEventIds.AccessLogWriteFailed, LogLevel.Error, "Access log cannot be written to {Target}: {Error}", EventName = nameof(BatonEventIds.AccessLogWriteFailed))]
        public static partial void WriteFailed(ILogger logger, string target, string error);
    }
}
