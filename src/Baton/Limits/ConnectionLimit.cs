using Baton.Hosting.Diagnostics;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Baton.Limits;

/// <summary>
/// A listener's <c>MaxConnections</c>: a connection beyond the limit is closed at once, before TLS
/// and before a byte is read — what Kestrel's server-wide <c>MaxConcurrentConnections</c> does,
/// per listener so the admin listener and other listeners keep their own room. The count is per
/// process: while an upgrade overlaps two generations, each has its own. Refusals are logged at
/// most once per 10 s, with the count since the last line.
/// </summary>
internal sealed partial class ConnectionLimit
{
    private static readonly TimeSpan s_logEvery = TimeSpan.FromSeconds(10);
    private readonly string _listener;
    private readonly int _max;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private int _open;
    private long _refusedSinceLog;
    private long _lastLog;

    public ConnectionLimit(string listener, int max, ILogger logger, TimeProvider time)
    {
        _listener = listener;
        _max = max;
        _logger = logger;
        _time = time;
        _lastLog = time.GetTimestamp() - (long)(s_logEvery.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>Adds the limit to <paramref name="listen"/>; call it first, so a refused connection costs nothing else.</summary>
    public void AddTo(ListenOptions listen) => listen.Use(next => connection => OnConnectionAsync(next, connection));

    private async Task OnConnectionAsync(ConnectionDelegate next, ConnectionContext connection)
    {
        if (Interlocked.Increment(ref _open) > _max)
        {
            Interlocked.Decrement(ref _open);
            Refused();
            await connection.Transport.Input.CompleteAsync().ConfigureAwait(false);
            await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
            return;
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    private void Refused()
    {
        Interlocked.Increment(ref _refusedSinceLog);
        var last = Volatile.Read(ref _lastLog);
        if (_time.GetElapsedTime(last) >= s_logEvery && Interlocked.CompareExchange(ref _lastLog, _time.GetTimestamp(), last) == last)
        {
            Log.LimitReached(_logger, _listener, _max, Interlocked.Exchange(ref _refusedSinceLog, 0));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(BatonEventIds.ConnectionLimitReached, LogLevel.Warning, "Listener {Listener} is at MaxConnections {Max}: {Refused} connection(s) closed unserved since the last report", EventName = nameof(BatonEventIds.ConnectionLimitReached))]
        public static partial void LimitReached(ILogger logger, string listener, int max, long refused);
    }
}
