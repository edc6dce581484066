namespace Baton.Observability.AccessLog;

/// <summary>The line format of the access log.</summary>
public enum AccessLogFormat
{
    /// <summary>One JSON object per line (the default): every field named, for log pipelines.</summary>
    Json,

    /// <summary>nginx's "combined" line followed by Baton's fields as <c>key=value</c>.</summary>
    Text,
}
