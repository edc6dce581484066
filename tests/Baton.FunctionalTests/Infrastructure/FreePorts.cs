using System.Net;
using System.Net.Sockets;

namespace Baton.FunctionalTests.Infrastructure;

/// <summary>Loopback ports for tests that must name a port up front (a closed upstream, a config that must not bind).</summary>
public static class FreePorts
{
    /// <summary>A loopback port that was free a moment ago: bound on port 0, read, released.</summary>
    public static int Reserve()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>True when something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<bool> IsAcceptingAsync(int port)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), deadline.Token);
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
    }
}
