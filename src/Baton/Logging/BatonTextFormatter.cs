using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Baton.Logging;

/// <summary>
/// Baton's text log line (<c>--log-format simple</c>): one line per event with its id and name,
/// as docs/*.md name events, e.g.
/// <c>20:21:33.469 info: Baton.Hosting.Draining.DrainCoordinator[1102 DrainCompleted] Drain of pid 42 completed in 84.8 ms…</c>.
/// An exception stays on the same line, so every line is one event for grep and journald.
/// </summary>
internal sealed class BatonTextFormatter : ConsoleFormatter
{
    public const string FormatterName = "baton";

    public BatonTextFormatter()
        : base(FormatterName)
    {
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        Span<char> time = stackalloc char[16];
        DateTime.Now.TryFormat(time, out var n, "HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
        textWriter.Write(time[..n]);
        textWriter.Write(' ');
        textWriter.Write(logEntry.LogLevel switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            LogLevel.Critical => "crit",
            _ => "none",
        });
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id);
        if (!string.IsNullOrEmpty(logEntry.EventId.Name))
        {
            textWriter.Write(' ');
            textWriter.Write(logEntry.EventId.Name);
        }

        textWriter.Write("] ");
        textWriter.Write(message?.ReplaceLineEndings(" "));
        if (logEntry.Exception is { } ex)
        {
            textWriter.Write(' ');
            textWriter.Write(ex.ToString().ReplaceLineEndings(" "));
        }

        textWriter.Write(Environment.NewLine);
    }
}
