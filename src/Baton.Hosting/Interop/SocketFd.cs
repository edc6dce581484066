using System.Net.Sockets;

namespace Baton.Hosting.Interop;

/// <summary>
/// The fd of a managed <see cref="Socket"/>, held with a reference on its handle so that a
/// concurrent Dispose cannot close (and the process reuse) the fd during a native call.
/// </summary>
internal ref struct SocketFd
{
    private readonly SafeSocketHandle _handle;
    private bool _added;

    public SocketFd(Socket socket)
    {
        _handle = socket.SafeHandle;
        _handle.DangerousAddRef(ref _added);
        Fd = (int)_handle.DangerousGetHandle();
    }

    /// <summary>The raw fd; valid until <see cref="Dispose"/>.</summary>
    public int Fd { get; }

    public void Dispose()
    {
        if (_added)
        {
            _added = false;
            _handle.DangerousRelease();
        }
    }
}
