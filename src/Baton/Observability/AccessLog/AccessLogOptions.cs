namespace Baton.Observability.AccessLog;

/// <summary><c>Baton:AccessLog</c>: one line per proxied request, written off the request path.</summary>
public sealed record AccessLogOptions
{
    /// <summary>Log every request. Defaults to true (nginx and HAProxy log by default too).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Defaults to <see cref="AccessLogFormat.Json"/>.</summary>
    public AccessLogFormat Format { get; init; } = AccessLogFormat.Json;

    /// <summary>
    /// A file to append to, reopened on SIGUSR1 (as nginx, for logrotate). Defaults to none: stdout,
    /// where systemd's journal or the container runtime collects it.
    /// </summary>
    public string? Path { get; init; }

    /// <summary>
    /// Lines buffered between the requests and the writer. Defaults to 8192 (a few seconds at
    /// full speed on one core); when the writer falls behind, further lines are dropped and
    /// counted (<c>baton_access_log_dropped_total</c>) rather than delaying a request.
    /// </summary>
    public int BufferLines { get; init; } = 8192;
}
