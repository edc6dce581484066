using System.Net.Http;
using System.Net.Sockets;
using Yarp.ReverseProxy.Forwarder;

namespace Baton.Upstreams;

/// <summary>Why one try at a destination did not give the client a response.</summary>
internal enum TryFailure
{
    /// <summary>The try succeeded, or failed in a way no retry may follow (timeout, client error, response started).</summary>
    None,

    /// <summary>Connecting failed: refused, unreachable, connect timeout. Nothing was sent.</summary>
    ConnectFailure,

    /// <summary>HTTP/2 REFUSED_STREAM: the destination did not process the request.</summary>
    RefusedStream,

    /// <summary>A draining app refused the request before handling it (379, 0 bytes).</summary>
    NotProcessed,

    /// <summary>A draining app handed back an upload it had started to receive (379 with bytes).</summary>
    HandedBack,

    /// <summary>The connection closed or reset before any response byte: the request may have been processed.</summary>
    Reset,

    /// <summary>The destination answered a status listed in <c>RetryStatuses</c>.</summary>
    Status,

    /// <summary>No response headers within <c>TryTimeout</c>: the request may have been processed.</summary>
    Timeout,
}

/// <summary>Turns YARP's <see cref="IForwarderErrorFeature"/> into a <see cref="TryFailure"/>.</summary>
internal static class TryFailures
{
    private const long Http2RefusedStream = 0x7;

    public static TryFailure Classify(IForwarderErrorFeature error) => error.Error switch
    {
        ForwarderError.Request => FromException(error.Exception),
        ForwarderError.RequestTimedOut when IsConnectTimeout(error.Exception) => TryFailure.ConnectFailure,
        // The destination stopped taking the body: it never answered, so as for a reset.
        ForwarderError.RequestBodyDestination => TryFailure.Reset,
        _ => TryFailure.None,
    };

    private static TryFailure FromException(Exception? ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }:
                    return TryFailure.ConnectFailure;
                case HttpProtocolException { ErrorCode: Http2RefusedStream }:
                    return TryFailure.RefusedStream;
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable }:
                    return TryFailure.ConnectFailure;
            }
        }

        return TryFailure.Reset;
    }

    // SocketsHttpHandler reports its ConnectTimeout as a cancellation wrapping a TimeoutException.
    private static bool IsConnectTimeout(Exception? ex) => ex is OperationCanceledException { InnerException: TimeoutException };

    /// <summary>Short lower-case name for metrics and logs.</summary>
    public static string Name(this TryFailure failure) => failure switch
    {
        TryFailure.ConnectFailure => "connect_failure",
        TryFailure.RefusedStream => "refused_stream",
        TryFailure.NotProcessed => "not_processed",
        TryFailure.HandedBack => "handed_back",
        TryFailure.Reset => "reset",
        TryFailure.Status => "status",
        TryFailure.Timeout => "try_timeout",
        _ => "none",
    };
}
