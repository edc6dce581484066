using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Baton.FunctionalTests.Infrastructure;
using Baton.FunctionalTests.Upgrade;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Interop;
using Xunit.Abstractions;

namespace Baton.FunctionalTests.Systemd;

/// <summary>
/// What systemd sees: a socket passed by socket activation (<c>LISTEN_FDS</c>, fd 3) is adopted and
/// served, and <c>sd_notify</c> says READY=1 at start, RELOADING=1 during an upgrade, and
/// MAINPID=&lt;new pid&gt; with READY=1 when the new process takes over.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class SystemdTests
{
    private readonly ITestOutputHelper _output;

    public SystemdTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task SocketActivatedAndNotified_AdoptsFd3_ReadyAtStart_MainPidAndReadyAfterAnUpgrade()
    {
        var work = Directory.CreateTempSubdirectory("baton-systemd-");
        using var notify = NotifySocket.Bind(Path.Combine(work.FullName, "notify.sock"));
        int activated = ListenSockets.BindAndListen(new IPEndPoint(IPAddress.Loopback, 0), backlog: 128);
        int port = ((IPEndPoint)NativePort(activated)).Port;
        var wrapper = ActivationWrapper.Write(Path.Combine(work.FullName, "bin"));
        try
        {
            await using var rig = await UpgradeRig.StartAsync(r =>
            {
                r.StartEnvironment["NOTIFY_SOCKET"] = notify.Path;
                r.StartEnvironment[ActivationWrapper.FdVariable] = UpgradeRig.Text(activated);
                r.StartDirectory = wrapper;
                r.InheritFd = activated;
            });
            ListenSockets.Close(activated); // from now on only Baton holds it
            activated = -1;

            var adopted = await rig.Current.WaitForEventAsync(BatonEventIds.ListenerAdopted, UpgradeRig.EventTimeout, e => e.Get("Key") == "public");
            Assert.Equal("SocketActivated", adopted.Get("Origin"));
            Assert.Equal("3", adopted.Get("Fd"));
            Assert.Equal($"127.0.0.1:{port}", rig.Address("public"));
            using (var client = Clients.Http1())
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{port}/whoami");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            Assert.Equal("READY=1", await notify.ReceiveAsync());

            var step = await rig.ReExecAsync();
            var reloading = await notify.ReceiveAsync();
            Assert.StartsWith("RELOADING=1\nMONOTONIC_USEC=", reloading);
            Assert.Equal($"MAINPID={step.NewPid}\nREADY=1", await notify.ReceiveAsync());
            await rig.AssertDrainedAndExitedAsync(step.OldPid);
            using (var client = Clients.Http1())
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{port}/whoami");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            // The old process's drain after a handoff is not a service stop: no STOPPING=1 until a real one.
            await rig.StopServingAsync();
            Assert.Equal("STOPPING=1", await notify.ReceiveAsync());
            _output.WriteLine($"sd_notify: {string.Join(" | ", notify.Received.Select(m => m.ReplaceLineEndings(" ")))}");
            Assert.Equal(0, notify.Pending);
        }
        finally
        {
            if (activated >= 0)
            {
                ListenSockets.Close(activated);
            }

            work.Delete(recursive: true);
        }
    }

    private static EndPoint NativePort(int fd)
    {
        Assert.True(ListenSockets.TryValidate(fd, AddressFamily.InterNetwork, out var info, out var error), error);
        return info.LocalEndPoint!;
    }

    /// <summary>A unixgram socket standing in for systemd's notify socket.</summary>
    private sealed class NotifySocket : IDisposable
    {
        private readonly Socket _socket;
        private readonly Channel<string> _messages = Channel.CreateUnbounded<string>();
        private readonly CancellationTokenSource _stop = new();

        private NotifySocket(Socket socket, string path)
        {
            _socket = socket;
            Path = path;
            _ = Task.Run(ReceiveLoopAsync);
        }

        public string Path { get; }

        public List<string> Received { get; } = new();

        /// <summary>Datagrams that arrived and were not read yet.</summary>
        public int Pending => _messages.Reader.Count;

        public static NotifySocket Bind(string path)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(path));
            return new NotifySocket(socket, path);
        }

        /// <summary>The next datagram, in arrival order.</summary>
        public async Task<string> ReceiveAsync()
        {
            var message = await _messages.Reader.ReadAsync().AsTask().WaitAsync(UpgradeRig.EventTimeout);
            Received.Add(message);
            return message;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Dispose();
        }

        private async Task ReceiveLoopAsync()
        {
            var buffer = new byte[4096];
            while (!_stop.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                await _messages.Writer.WriteAsync(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
    }
}
