namespace Baton.Proxy;

/// <summary>
/// What Baton's retry layer did for one proxied request, set on the <c>HttpContext</c> features
/// when a cluster has retries: the access log and metrics read it. Absent means one try.
/// </summary>
public interface IProxyAttemptsFeature
{
    /// <summary>Tries made, the first included (1 when the request was not retried).</summary>
    int Tries { get; }

    /// <summary>The destination ids tried, in order, comma-separated.</summary>
    string Destinations { get; }
}
