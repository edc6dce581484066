using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Baton.Hosting.Handoff;

/// <summary>
/// Decorates Kestrel's socket transport so that Baton learns when Kestrel stops accepting on one
/// of its listeners, and only then closes its descriptor (<see cref="ListenerTable.Release"/>).
/// Kestrel wraps a listen handle without owning it, so without this the socket would stay open
/// after shutdown and new connections would hang in its backlog.
/// </summary>
internal sealed class OwnedListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly IConnectionListenerFactory _inner;
    private readonly ListenerTable _table;

    public OwnedListenerFactory(IConnectionListenerFactory inner, ListenerTable table)
    {
        _inner = inner;
        _table = table;
    }

    public bool CanBind(EndPoint endpoint) => _inner is not IConnectionListenerFactorySelector s || s.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var listener = await _inner.BindAsync(endpoint, cancellationToken).ConfigureAwait(false);
        var owned = endpoint is FileHandleEndPoint fh ? _table.FindByFd((int)fh.FileHandle) : null;
        return owned is null ? listener : new Releasing(listener, owned, _table);
    }

    private sealed class Releasing : IConnectionListener
    {
        private readonly IConnectionListener _inner;
        private readonly OwnedListener _owned;
        private readonly ListenerTable _table;

        public Releasing(IConnectionListener inner, OwnedListener owned, ListenerTable table)
        {
            _inner = inner;
            _owned = owned;
            _table = table;
        }

        public EndPoint EndPoint => _inner.EndPoint;

        public ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default) => _inner.AcceptAsync(cancellationToken);

        public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            await _inner.UnbindAsync(cancellationToken).ConfigureAwait(false);
            _table.Release(_owned);
        }

        public async ValueTask DisposeAsync()
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
            _table.Release(_owned);
        }
    }
}
