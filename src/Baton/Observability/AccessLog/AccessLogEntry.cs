using System.Diagnostics;
using System.Net;

namespace Baton.Observability.AccessLog;

/// <summary>
/// One request as the access log records it. A struct of references to strings the request
/// already holds (method, host, path, header values, route ids): queuing it allocates nothing;
/// the writer thread formats it.
/// </summary>
internal struct AccessLogEntry
{
    public DateTime Time;
    public IPAddress? Client;
    public string Method;
    public string? Host;
    public string? Path;
    public string? Query;
    public string Protocol;
    public int Status;
    public long BytesIn;
    public long BytesOut;
    public long DurationTicks;
    public string? Route;
    public string? Cluster;
    public string? Destination;
    public long UpstreamTicks;
    public int Tries;
    public string? Tried;
    public ActivityTraceId TraceId;
    public string? RequestId;
    public string? UserAgent;
    public string? Referer;
}
