using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Baton.Hosting.Lifecycle;
using Xunit.Abstractions;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// What the running Baton refuses, unharmed: a second upgrade while one runs, more draining
/// generations than the cap, a foreign uid or garbage on the upgrade socket.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class UpgradeRefusalTests
{
    private readonly ITestOutputHelper _output;

    public UpgradeRefusalTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task SecondUpgradeWhileOneRuns_IsRefusedByEveryRouteAndTheFirstStillRollsBackCleanly()
    {
        await using var rig = await UpgradeRig.StartAsync(r =>
        {
            r.Host.Lifecycle["UpgradeCommand"] = "/bin/sleep 30";
            r.Host.Lifecycle["UpgradeTimeout"] = "00:00:30";
        });
        int old = rig.ServingPid;
        var triggered = DateTimeOffset.UtcNow;
        Assert.True(Signals.Send(old, Signals.SIGQUIT));
        var handedOff = await rig.Current.WaitForEventAsync(BatonEventIds.ListenersHandedOff, UpgradeRig.EventTimeout);
        int hanging = int.Parse(handedOff.Get("NewPid")!, System.Globalization.CultureInfo.InvariantCulture);

        // baton upgrade (POST /upgrade) while the first upgrade waits for its child.
        var viaAdmin = await rig.CliUpgradeAsync();
        Assert.True(viaAdmin.ExitCode == ExitCodes.UpgradeRefused, viaAdmin.ToString());
        Assert.Contains("already in progress", UpgradeRig.UpgradeMessage(viaAdmin));

        // SIGQUIT again.
        Assert.True(Signals.Send(old, Signals.SIGQUIT));
        var refusedSignal = await rig.Current.WaitForEventAsync(BatonEventIds.UpgradeRefused, UpgradeRig.EventTimeout, e => e.Get("Source") == "SIGQUIT");
        Assert.Contains("already in progress", refusedSignal.Get("Reason"));

        // baton run --upgrade on the upgrade socket: refused over the socket, exits 2 saying why.
        var upgrader = rig.StartUpgrader();
        Assert.Equal(ExitCodes.Usage, await upgrader.WaitForExitAsync(UpgradeRig.EventTimeout));
        Assert.Contains(upgrader.Output, line => line.Contains("refused the upgrade", StringComparison.Ordinal) && line.Contains("already in progress", StringComparison.Ordinal));

        // Still serving, still handing off to the first child.
        var status = await rig.StatusAsync();
        Assert.Equal(old, status.GetProperty("pid").GetInt32());
        Assert.Equal("HandingOff", status.GetProperty("phase").GetString());
        Assert.Equal(3, rig.Current.Events.Count(e => e.EventId == BatonEventIds.UpgradeRefused && e.Received >= triggered));

        // The first upgrade's child dies: that upgrade rolls back, and the next one works.
        Assert.True(Signals.Send(hanging, Signals.SIGKILL));
        var rolledBack = await rig.Current.WaitForEventAsync(BatonEventIds.UpgradeRolledBack, UpgradeRig.EventTimeout);
        Assert.Contains($"pid {hanging}", rolledBack.Get("Reason"));
        var step = await rig.ViaSocketAsync();
        Assert.Equal(old, step.OldPid);
        await rig.AssertDrainedAndExitedAsync(old);
        await rig.StopServingAsync();
    }

    [Fact]
    public async Task MaxDrainingGenerations1_WhileTheOldGenerationStillDrains_NextUpgradeIsRefusedNamingTheCap()
    {
        await using var held = await HeldUpstream.StartAsync();
        await using var rig = await UpgradeRig.StartAsync(r =>
        {
            r.Host.Lifecycle["MaxDrainingGenerations"] = 1;
            held.AddRouteTo(r.Host);
        });
        int first = rig.ServingPid;
        using var client = Clients.Http1();
        var slow = client.GetAsync(new Uri(rig.PublicUri, "held/drain"));
        await held.WaitForArrivalsAsync(1, UpgradeRig.EventTimeout);
        var second = await rig.ReExecAsync();
        await rig.WaitForFirstGenerationUnboundAsync();
        Assert.True(ProcessWatch.IsAlive(first), "generation 1 must still be draining");

        var refused = await rig.CliUpgradeAsync();
        Assert.True(refused.ExitCode == ExitCodes.UpgradeRefused, refused.ToString());
        var message = UpgradeRig.UpgradeMessage(refused);
        Assert.StartsWith("upgrade refused: ", message);
        Assert.Contains("Lifecycle:MaxDrainingGenerations is 1", message);
        Assert.Contains($"pids {first}", message);
        var logged = await rig.Current.WaitForEventAsync(BatonEventIds.UpgradeRefused, UpgradeRig.EventTimeout);
        Assert.Contains("MaxDrainingGenerations", logged.Get("Reason"));
        Assert.Equal(second.NewPid, (await rig.StatusAsync()).GetProperty("pid").GetInt32());

        // Once generation 1 finished its request and exited, the cap allows the next upgrade.
        held.Release();
        using var response = await slow.WaitAsync(UpgradeRig.EventTimeout);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        await rig.AssertDrainedAndExitedAsync(first);
        var third = await rig.ReExecAsync();
        Assert.Equal(3, third.Generation);
        _output.WriteLine($"refused while pid {first} drained: {message}");
        await rig.AssertDrainedAndExitedAsync(second.NewPid);
        await rig.StopServingAsync();
    }

    [Fact]
    public async Task UpgradeSocket_ForeignUid_IsRefusedAndTheOldProcessStillServes()
    {
        await using var rig = await UpgradeRig.StartAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(rig.SocketPath));
        // Let uid 65534 reach the directory: the socket's own mode 0600 must keep it out.
        File.SetUnixFileMode(rig.Host.Work.FullName, File.GetUnixFileMode(rig.Host.Work.FullName) | UnixFileMode.OtherExecute);
        Assert.Equal("denied", await ForeignClient.HelloAsync(rig.SocketPath));

        // Even with the file mode loosened, the peer's uid (SO_PEERCRED) is checked.
        File.SetUnixFileMode(rig.SocketPath, File.GetUnixFileMode(rig.SocketPath) | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        var answer = await ForeignClient.HelloAsync(rig.SocketPath);
        using (var doc = JsonDocument.Parse(answer))
        {
            Assert.Equal("refused", doc.RootElement.GetProperty("type").GetString());
            Assert.Equal("foreign uid", doc.RootElement.GetProperty("reason").GetString());
            Assert.False(doc.RootElement.TryGetProperty("keys", out var keys) && keys.ValueKind == JsonValueKind.Array, "a refused peer must get no listeners");
        }

        var rejected = await rig.Current.WaitForEventAsync(BatonEventIds.UpgradeSocketRejected, UpgradeRig.EventTimeout);
        Assert.Contains($"peer uid {ForeignClient.Uid}", rejected.Get("Reason"));
        await AssertStillServingAsync(rig);
        Assert.DoesNotContain(rig.AllEvents, e => e.EventId is BatonEventIds.UpgradeRequested or BatonEventIds.ListenersHandedOff);

        var step = await rig.ViaSocketAsync();
        Assert.Equal(2, step.Generation);
        await rig.AssertDrainedAndExitedAsync(step.OldPid);
        await rig.StopServingAsync();
    }

    [Fact]
    public async Task UpgradeSocket_GarbageAndEarlyDisconnect_AreRefusedAndARealUpgradeStillWorks()
    {
        await using var rig = await UpgradeRig.StartAsync();
        using (var garbage = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await garbage.ConnectAsync(new UnixDomainSocketEndPoint(rig.SocketPath));
            await garbage.SendAsync(Encoding.ASCII.GetBytes("garbage\n"));
            var buffer = new byte[256];
            Assert.Equal(0, await garbage.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(UpgradeRig.EventTimeout)); // closed, nothing sent
        }

        var rejected = await rig.Current.WaitForEventAsync(BatonEventIds.UpgradeSocketRejected, UpgradeRig.EventTimeout);
        Assert.Contains("not JSON", rejected.Get("Reason"));

        using (var early = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await early.ConnectAsync(new UnixDomainSocketEndPoint(rig.SocketPath));
        }

        var disconnected = await rig.Current.WaitForEventAsync(BatonEventIds.UpgradeSocketRejected, UpgradeRig.EventTimeout, e => !ReferenceEquals(e, rejected));
        Assert.Contains("disconnected before saying hello", disconnected.Get("Reason"));
        await AssertStillServingAsync(rig);
        Assert.DoesNotContain(rig.AllEvents, e => e.EventId is BatonEventIds.UpgradeRequested or BatonEventIds.ListenersHandedOff);

        // Hello, then gone: rolled back, not stuck half-way. The peer is a process of its own (the
        // old process stops a peer that failed, by its SO_PEERCRED pid), and it exits right after
        // its hello: before or after the listeners reach it, depending on who is faster.
        await HelloThenGoneAsync(rig.SocketPath);

        var rolledBack = await rig.Current.WaitForEventAsync(BatonEventIds.UpgradeRolledBack, UpgradeRig.EventTimeout);
        Assert.Matches("went away before it took the listeners|exited.* before reporting ready|connection to the new process .* failed", rolledBack.Get("Reason"));
        await AssertStillServingAsync(rig);

        var step = await rig.ViaSocketAsync();
        Assert.Equal(2, step.Generation);
        await rig.AssertDrainedAndExitedAsync(step.OldPid);
        await rig.StopServingAsync();
    }

    private static async Task HelloThenGoneAsync(string socketPath)
    {
        var python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.First(File.Exists);
        var hello = Encoding.ASCII.GetString(new Hosting.Handoff.HandoffMessage { Type = Hosting.Handoff.HandoffMessage.Hello, Pid = 0 }.Encode());
        var psi = new System.Diagnostics.ProcessStartInfo(python) { UseShellExecute = false };
        foreach (var a in new[] { "-c", "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode())", socketPath, hello })
        {
            psi.ArgumentList.Add(a);
        }

        using var peer = System.Diagnostics.Process.Start(psi)!;
        // It exits by itself, or by the old process's SIGTERM when that comes first (143).
        await peer.WaitForExitAsync().WaitAsync(UpgradeRig.EventTimeout);
        Assert.Contains(peer.ExitCode, new[] { 0, 143 });
    }

    private static async Task AssertStillServingAsync(UpgradeRig rig)
    {
        var status = await rig.StatusAsync();
        Assert.Equal(rig.ServingPid, status.GetProperty("pid").GetInt32());
        Assert.Equal("Running", status.GetProperty("phase").GetString());
        using var client = Clients.Http1();
        using var response = await client.GetAsync(new Uri(rig.PublicUri, "whoami"));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }
}
