using System.Net;
using System.Net.Sockets;
using Baton.Hosting.Interop;
using Microsoft.AspNetCore.Connections;

namespace Baton.Hosting.Handoff;

/// <summary>
/// Decorates Kestrel's socket transport. Every endpoint Kestrel binds by address (TCP or Unix) is
/// claimed from the <see cref="ListenerTable"/> (step N3: adopt the socket handed in under its key,
/// else bind) and passed to Kestrel as a handle, so any app's listeners can be handed to a new
/// process. Baton learns when Kestrel stops accepting on one of them, and only then closes its
/// descriptor (<see cref="ListenerTable.Release"/>): Kestrel wraps a listen handle without owning
/// it, so without this the socket would stay open after shutdown and new connections would hang
/// in its backlog.
/// </summary>
internal sealed class OwnedListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private static readonly TimeSpan QuiesceTimeout = TimeSpan.FromMilliseconds(200);
    private readonly IConnectionListenerFactory _inner;
    private readonly ListenerTable _table;
    private readonly ListenerKeys _keys;
    private readonly int _backlog;

    public OwnedListenerFactory(IConnectionListenerFactory inner, ListenerTable table, ListenerKeys keys, int backlog)
    {
        _inner = inner;
        _table = table;
        _keys = keys;
        _backlog = backlog;
    }

    public bool CanBind(EndPoint endpoint) => _inner is not IConnectionListenerFactorySelector s || s.CanBind(endpoint);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        OwnedListener? owned;
        if (endpoint is IPEndPoint or UnixDomainSocketEndPoint)
        {
            owned = Claim(endpoint);
            endpoint = new FileHandleEndPoint((ulong)owned.Fd, FileHandleType.Auto);
        }
        else
        {
            owned = endpoint is FileHandleEndPoint fh ? _table.FindByFd((int)fh.FileHandle) : null;
        }

        var listener = await _inner.BindAsync(endpoint, cancellationToken).ConfigureAwait(false);
        return owned is null ? listener : new Releasing(listener, owned, this);
    }

    private OwnedListener Claim(EndPoint endpoint)
    {
        var key = _keys.For(endpoint);
        try
        {
            return _table.Claim(key.Key, endpoint, key.Backlog ?? _backlog, key.UnixMode);
        }
        catch (IOException ex) when (ex.InnerException is SocketException socket)
        {
            // As Kestrel's own transport reports it: "address in use" by type, and a family this
            // host lacks (e.g. IPv6 for localhost) as a SocketException, which Kestrel skips.
            throw socket.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? new AddressInUseException(ex.Message, ex)
                : new SocketException((int)socket.SocketErrorCode, ex.Message);
        }
    }

    private sealed class Releasing : IConnectionListener
    {
        private readonly IConnectionListener _inner;
        private readonly OwnedListener _owned;
        private readonly OwnedListenerFactory _factory;

        public Releasing(IConnectionListener inner, OwnedListener owned, OwnedListenerFactory factory)
        {
            _inner = inner;
            _owned = owned;
            _factory = factory;
        }

        public EndPoint EndPoint => _inner.EndPoint;

        public ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default) => _inner.AcceptAsync(cancellationToken);

        public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            // Decided per listener, not by phase. A socket another process holds (handed to a new
            // process, ready or still starting) lives on there: nothing queued is lost when this
            // process closes its fd, and a filter would starve the other process. A socket held
            // alone may be the last copy: stop new handshakes, accept what the kernel already
            // completed, then close (closing resets whatever is still queued). The filter stays;
            // whoever adopts the socket next (systemd's next start, a supervisor's next worker) removes it.
            if (_owned.Sharing == ListenerSharing.Alone && ListenSockets.DropNewConnections(_owned.Fd))
            {
                var deadline = Environment.TickCount64 + (long)QuiesceTimeout.TotalMilliseconds;
                while (ListenSockets.AcceptQueueLength(_owned.Fd) > 0 && Environment.TickCount64 < deadline)
                {
                    await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                }
            }

            await _inner.UnbindAsync(cancellationToken).ConfigureAwait(false);
            _factory._table.Release(_owned);
        }

        public async ValueTask DisposeAsync()
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
            _factory._table.Release(_owned);
        }
    }
}
