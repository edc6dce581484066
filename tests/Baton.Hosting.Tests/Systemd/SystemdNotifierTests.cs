using System.Net.Sockets;
using System.Text;
using Baton.Hosting.Systemd;
using Baton.Hosting.Tests.Interop;
using Baton.Hosting.Tests.Lifecycle;

namespace Baton.Hosting.Tests.Systemd;

/// <summary>Each sd_notify state has its named method, and each sends exactly what systemd expects.</summary>
public sealed class SystemdNotifierTests
{
    [Fact]
    public async Task NamedStates_SendWhatSystemdExpects()
    {
        using var directory = NativeTestSockets.CreateTempDirectory();
        var path = directory.File("notify.sock");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint(path));
        var notifier = new SystemdNotifier(new EventLog().For<SystemdNotifier>(), path);

        notifier.Ready();
        notifier.Reloading();
        notifier.ReadyAsMainProcess();
        notifier.Stopping();

        Assert.Equal("READY=1", await ReceiveAsync(systemd));
        Assert.Matches(@"^RELOADING=1\nMONOTONIC_USEC=[0-9]+$", await ReceiveAsync(systemd));
        Assert.Equal($"MAINPID={Environment.ProcessId}\nREADY=1", await ReceiveAsync(systemd));
        Assert.Equal("STOPPING=1", await ReceiveAsync(systemd));
    }

    [Fact]
    public void OutsideSystemd_SendsNothingAndDoesNotFail()
    {
        var notifier = new SystemdNotifier(new EventLog().For<SystemdNotifier>(), notifySocket: null);

        Assert.False(notifier.IsNotifyEnabled);
        notifier.Ready();
        notifier.Stopping();
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[256];
        int n = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));
        return Encoding.UTF8.GetString(buffer, 0, n);
    }
}
