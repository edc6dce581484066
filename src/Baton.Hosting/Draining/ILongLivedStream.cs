namespace Baton.Hosting.Draining;

/// <summary>A long-lived stream (an upgraded connection such as a WebSocket) that the drain closes at its deadline.</summary>
public interface ILongLivedStream
{
    /// <summary>True for a WebSocket (it gets a close frame with 1001, going away).</summary>
    bool IsWebSocket { get; }

    /// <summary>Tells the peer this side is going away (a WebSocket close frame with code 1001) when it can do so cleanly.</summary>
    /// <returns>True when a close frame was written.</returns>
    Task<bool> SendGoingAwayAsync(CancellationToken cancellationToken);
}
