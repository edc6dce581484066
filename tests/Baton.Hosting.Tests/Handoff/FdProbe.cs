using System.Net.Sockets;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Tests.Handoff;

/// <summary>
/// An fd to send across a channel and a way to tell when every copy of it is closed: one end of a
/// socketpair is sent (<see cref="Far"/>), the other (<see cref="Near"/>) reads end-of-file once
/// the last copy of the far end, in any process, is gone.
/// </summary>
internal sealed class FdProbe : IDisposable
{
    private readonly Socket _near;

    public FdProbe()
    {
        var (near, far) = SocketPairs.Create();
        _near = SocketPairs.Adopt(near);
        Far = far;
    }

    /// <summary>The end to send; the sender closes its own copy with <see cref="CloseFar"/>.</summary>
    public int Far { get; private set; }

    public void CloseFar()
    {
        ListenSockets.Close(Far);
        Far = -1;
    }

    /// <summary>True once every copy of the far end is closed (end-of-file), false if one is still open after <paramref name="timeout"/>.</summary>
    public async Task<bool> AllCopiesClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _near.ReceiveAsync(new byte[1], SocketFlags.None, cts.Token) == 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (Far >= 0)
        {
            CloseFar();
        }

        _near.Dispose();
    }
}
