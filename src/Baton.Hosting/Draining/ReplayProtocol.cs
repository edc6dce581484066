namespace Baton.Hosting.Draining;

/// <summary>
/// The wire vocabulary between Baton (the proxy) and a draining app that uses Baton.Hosting,
/// modelled on Partial POST Replay (draft-frindell-httpbis-partial-post-replay): a request the app
/// did not process, or an upload it could not finish before its drain deadline, goes back to the
/// proxy, which sends it to another destination. The client never sees any of it.
/// </summary>
/// <remarks>
/// 1. Baton → app: every proxied request carries <see cref="RequestHeader"/> = <see cref="Capable"/>
///    ("I will replay a refusal"), or = <see cref="Replayed"/> on a replay (never refused again: loop protection).
/// 2. App → Baton, while draining: status <see cref="Status"/> with <see cref="MarkerHeader"/>,
///    the request's method and path echoed (<see cref="EchoMethodHeader"/>, <see cref="EchoPathHeader"/>),
///    <see cref="BodyBytesHeader"/> = the number of body bytes returned, and those bytes as the body.
///    0 bytes: "not processed" — the handler never ran.
/// 3. Baton checks the echo and the byte counts (a mismatch is a 502, never a corrupted request),
///    rebuilds the request from the returned bytes plus the rest still arriving from the client, and
///    sends it to another destination. The status is never forwarded to a client.
/// 4. Every response of a shutting-down app carries <see cref="DrainingHeader"/>: Baton takes that
///    destination out of rotation at once (and strips the header).
/// </remarks>
public static class ReplayProtocol
{
    /// <summary>The status of a refusal or hand-back (the draft's 379); a proxy never forwards it.</summary>
    public const int Status = 379;

    /// <summary>Request header from the proxy.</summary>
    public const string RequestHeader = "Baton-Replay";

    /// <summary><see cref="RequestHeader"/> value: the proxy replays refusals and hand-backs.</summary>
    public const string Capable = "1";

    /// <summary><see cref="RequestHeader"/> value: this request is a replay; process it, never hand it back.</summary>
    public const string Replayed = "replayed";

    /// <summary>Response header that makes a <see cref="Status"/> response a refusal (the status alone is not trusted).</summary>
    public const string MarkerHeader = "Baton-Not-Processed";

    /// <summary>Response header: how many request body bytes the refusal returns (its body).</summary>
    public const string BodyBytesHeader = "Baton-Replay-Bytes";

    /// <summary>Response header echoing the request method.</summary>
    public const string EchoMethodHeader = "Pseudo-Echo-Method";

    /// <summary>Response header echoing the request path and query.</summary>
    public const string EchoPathHeader = "Pseudo-Echo-Path";

    /// <summary>Prefix of the echoed request headers (<c>Echo-Content-Type</c>, …).</summary>
    public const string EchoHeaderPrefix = "Echo-";

    /// <summary>Response header of a shutting-down app: take this destination out of rotation.</summary>
    public const string DrainingHeader = "Baton-Draining";
}
