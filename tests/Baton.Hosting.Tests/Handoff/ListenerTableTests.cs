using System.Net;
using System.Net.Sockets;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Handoff;
using Baton.Hosting.Interop;
using Baton.Hosting.Tests.Interop;
using Baton.Hosting.Tests.Lifecycle;

namespace Baton.Hosting.Tests.Handoff;

/// <summary>
/// Adoption by key checks the socket's real address (issue 11, defect 4): a handed-in socket bound
/// elsewhere than the configuration says is not adopted; the configured address is bound and the
/// old socket is closed with the unclaimed ones.
/// </summary>
public sealed class ListenerTableTests
{
    [Fact]
    public void Claim_HandedInSocketAtAnotherAddress_BindsTheConfiguredOneAndClosesTheOld()
    {
        var log = new EventLog();
        using var table = new ListenerTable(log.For<ListenerTable>());
        int old = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), 16);
        int oldPort = NativeTestSockets.PortOf(old);
        table.AddHandedIn("public", old, ListenerOrigin.Inherited);

        var claimed = table.Claim("public", new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0), 16);

        Assert.NotEqual(old, claimed.Fd);
        Assert.Equal(ListenerOrigin.Bound, claimed.Origin);
        Assert.Equal(IPAddress.Parse("127.0.0.2"), Assert.IsType<IPEndPoint>(claimed.EndPoint).Address);
        Assert.Contains(log.Events, e => e.Id == BatonEventIds.ListenerMoved);
        Assert.Equal(["public"], table.CloseUnclaimed());
        // This process's copy is closed: nobody listens on the old port any more (the fd number may be reused by a parallel test).
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.Equal(SocketError.ConnectionRefused, Assert.Throws<SocketException>(() => probe.Connect(IPAddress.Loopback, oldPort)).SocketErrorCode);
    }

    [Fact]
    public void Claim_HandedInSocketAtTheConfiguredAddress_IsAdopted()
    {
        var log = new EventLog();
        using var table = new ListenerTable(log.For<ListenerTable>());
        int old = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), 16);
        int port = NativeTestSockets.PortOf(old);
        table.AddHandedIn("public", old, ListenerOrigin.Inherited);

        var any = table.Claim("public", new IPEndPoint(IPAddress.Loopback, port), 16);

        Assert.Equal(old, any.Fd);
        Assert.Equal(ListenerOrigin.Inherited, any.Origin);
        Assert.DoesNotContain(log.Events, e => e.Id == BatonEventIds.ListenerMoved);
    }

    [Theory]
    [InlineData("127.0.0.1", 8080, "127.0.0.1", 0, true)]
    [InlineData("127.0.0.1", 8080, "127.0.0.1", 8080, true)]
    [InlineData("127.0.0.1", 8080, "127.0.0.1", 8081, false)]
    [InlineData("0.0.0.0", 8080, "127.0.0.1", 8080, false)]
    [InlineData("127.0.0.1", 8080, "0.0.0.0", 8080, false)]
    public void IsBoundAt_ComparesAddressAndPortWithPortZeroMeaningAny(string actual, int actualPort, string wanted, int wantedPort, bool expected)
        => Assert.Equal(expected, ListenerTable.IsBoundAt(new IPEndPoint(IPAddress.Parse(actual), actualPort), new IPEndPoint(IPAddress.Parse(wanted), wantedPort)));
}
