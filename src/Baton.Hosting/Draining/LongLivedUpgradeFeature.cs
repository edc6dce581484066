using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Baton.Hosting.Draining;

/// <summary>
/// Wraps the server's upgrade feature so that the upgraded stream (a WebSocket, usually) is
/// registered as long-lived, and can be sent a close frame with 1001 at the drain deadline.
/// </summary>
internal sealed class LongLivedUpgradeFeature : IHttpUpgradeFeature
{
    private readonly IHttpUpgradeFeature _inner;
    private readonly HttpContext _context;
    private readonly ConnectionTracker _tracker;
    private readonly TrackedConnection? _connection;
    private GoingAwayStream? _stream;

    public LongLivedUpgradeFeature(IHttpUpgradeFeature inner, HttpContext context, ConnectionTracker tracker, TrackedConnection? connection)
    {
        _inner = inner;
        _context = context;
        _tracker = tracker;
        _connection = connection;
    }

    public bool IsUpgradableRequest => _inner.IsUpgradableRequest;

    public async Task<Stream> UpgradeAsync()
    {
        var upgraded = await _inner.UpgradeAsync().ConfigureAwait(false);
        bool isWebSocket = string.Equals(_context.Request.Headers.Upgrade.ToString(), "websocket", StringComparison.OrdinalIgnoreCase);
        _stream = new GoingAwayStream(upgraded, isWebSocket);
        _tracker.LongLivedOpened(_connection, _stream);
        return _stream;
    }

    public void Release()
    {
        if (_stream is { } stream)
        {
            _stream = null;
            _tracker.LongLivedClosed(_connection, stream);
        }
    }
}
