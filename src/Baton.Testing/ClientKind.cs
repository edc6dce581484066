namespace Baton.Testing;

/// <summary>The kinds of client the demo drives; each breaks differently when a proxy restarts badly.</summary>
public enum ClientKind
{
    KeepAlive,
    NewConnection,
    H2c,
    Slow,
    Streamed,
    WebSocket,
}
