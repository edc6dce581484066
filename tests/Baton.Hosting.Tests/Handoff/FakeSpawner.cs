using System.Globalization;
using Baton.Hosting.Handoff;
using Baton.Hosting.Interop;

namespace Baton.Hosting.Tests.Handoff;

/// <summary>What a fake new process does once "started".</summary>
public enum FakeBehaviour
{
    /// <summary>Reports ready over the inherited channel and waits for the acknowledgement.</summary>
    ReportsReady,

    /// <summary>Exits at once with code 3 without a word: its channel end closes.</summary>
    Crashes,

    /// <summary>Holds its channel end open and never writes (until killed).</summary>
    Hangs,

    /// <summary>Reports failed with a config error.</summary>
    ReportsConfigError,

    /// <summary>Writes a line that is not a handoff message.</summary>
    SendsGarbage,

    /// <summary>Reports failed with five fds attached (see <see cref="FakeChild.Probes"/>).</summary>
    ReportsFailedWithFds,

    /// <summary>Reports ready once the test calls <see cref="FakeChild.Release"/> (a slow start).</summary>
    ReportsReadyWhenReleased,

    /// <summary>Reports a config error once the test calls <see cref="FakeChild.Release"/>.</summary>
    FailsWhenReleased,
}

/// <summary>
/// An <see cref="IUpgradeSpawner"/> whose "processes" are in this test process (tableflip's seam):
/// like a forked child, a fake gets its own copy of the inherited channel fd (dup'ed during
/// <see cref="Spawn"/>, since the coordinator closes its copy right after), wraps it with
/// <see cref="SocketPairs.Adopt"/> and speaks the handoff protocol over it.
/// </summary>
internal sealed class FakeSpawner : IUpgradeSpawner
{
    private readonly Queue<FakeBehaviour> _next = new();

    public FakeSpawner(params FakeBehaviour[] behaviours)
    {
        foreach (var b in behaviours)
        {
            _next.Enqueue(b);
        }
    }

    /// <summary>Every spawn so far.</summary>
    public List<FakeChild> Children { get; } = new();

    /// <summary>Children end with 0 on SIGTERM (<see cref="FakeChild.ExitsOnTerminate"/>).</summary>
    public bool ChildrenExitOnTerminate { get; set; }

    /// <summary>When set, <see cref="Spawn"/> throws it (the command does not exist, say).</summary>
    public Exception? Throw { get; set; }

    public ISpawnedProcess Spawn(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, IReadOnlyList<int> inheritFds)
    {
        if (Throw is { } ex)
        {
            throw ex;
        }

        int channelFd = int.Parse(environment[ListenFdsVariable.ChannelName], CultureInfo.InvariantCulture);
        var child = new FakeChild(999_999_000 + Children.Count, command, environment, inheritFds, ListenSockets.Duplicate(channelFd), _next.Count > 0 ? _next.Dequeue() : FakeBehaviour.Crashes);
        child.ExitsOnTerminate = ChildrenExitOnTerminate;
        Children.Add(child);
        return child;
    }
}

/// <summary>One fake new process.</summary>
internal sealed class FakeChild : ISpawnedProcess
{
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly UpgradeChannel _channel;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeChild(int pid, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, IReadOnlyList<int> inheritFds, int channelFd, FakeBehaviour behaviour)
    {
        Pid = pid;
        Command = command;
        Environment = environment;
        InheritFds = inheritFds;
        // Checked while "exec" happens: a real child could use exactly these fds.
        InheritedListenersValid = inheritFds.Where(fd => fd != int.Parse(environment[ListenFdsVariable.ChannelName], CultureInfo.InvariantCulture))
            .All(fd => ListenSockets.TryValidate(fd, System.Net.Sockets.AddressFamily.Unspecified, out _, out _));
        ChannelIdentity = FdIdentity(int.Parse(environment[ListenFdsVariable.ChannelName], CultureInfo.InvariantCulture));
        _channel = new UpgradeChannel(SocketPairs.Adopt(channelFd));
        Run = Task.Run(() => RunAsync(behaviour));
    }

    public int Pid { get; }

    public IReadOnlyList<string> Command { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public IReadOnlyList<int> InheritFds { get; }

    public bool InheritedListenersValid { get; }

    /// <summary>What the inherited channel fd was at spawn ("socket:[inode]"), to tell it from a later fd with its number.</summary>
    public string? ChannelIdentity { get; }

    /// <summary>What fd <paramref name="fd"/> of this process is now ("socket:[inode]", …); null when it is not open.</summary>
    public static string? FdIdentity(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public bool Killed { get; private set; }

    /// <summary>What the old process answered to "ready", if anything.</summary>
    public HandoffMessage? Answer { get; private set; }

    public Task Run { get; }

    /// <summary>The fds a <see cref="FakeBehaviour.ReportsFailedWithFds"/> child sent (its own copies closed).</summary>
    public List<FdProbe> Probes { get; } = new();

    public Task<int> Exited => _exited.Task;

    /// <summary>Lets a <c>…WhenReleased</c> fake report.</summary>
    public void Release() => _released.TrySetResult();

    /// <summary>Sends a message to the parent, as a running worker would.</summary>
    public Task SendAsync(HandoffMessage message) => _channel.SendAsync(message);

    /// <summary>When true, SIGTERM (<see cref="Terminate"/>) ends it with code 0, as a process that drains at once.</summary>
    public bool ExitsOnTerminate { get; set; }

    /// <summary>How many times it was asked to stop gracefully.</summary>
    public int Terminations { get; private set; }

    /// <summary>Ends the process now with <paramref name="code"/>: its channel end closes.</summary>
    public void Exit(int code)
    {
        _channel.Dispose();
        _exited.TrySetResult(code);
    }

    /// <summary>A fake ignores SIGTERM (as a hung process would; the coordinator then kills it) unless <see cref="ExitsOnTerminate"/>.</summary>
    public void Terminate()
    {
        Terminations++;
        if (ExitsOnTerminate)
        {
            Exit(0);
        }
    }

    /// <summary>How many times it was asked to reload (SIGHUP).</summary>
    public int Reloads { get; private set; }

    public void Reload() => Reloads++;

    public void Kill()
    {
        Killed = true;
        Exit(137);
    }

    public void Dispose()
    {
        // The coordinator lets go of its handle; the "process" lives on until it exits or is killed.
    }

    private async Task RunAsync(FakeBehaviour behaviour)
    {
        switch (behaviour)
        {
            case FakeBehaviour.ReportsReady:
                await _channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Ready, Pid = Pid });
                (Answer, _) = await _channel.ReceiveAsync(TimeSpan.FromSeconds(10));
                break;
            case FakeBehaviour.Crashes:
                Exit(3);
                break;
            case FakeBehaviour.Hangs:
                break;
            case FakeBehaviour.ReportsConfigError:
                await _channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Failed, Pid = Pid, Reason = "config error: Baton:Lifecycle:DrainTimeout = 'banana'" });
                Exit(2);
                break;
            case FakeBehaviour.ReportsFailedWithFds:
                Probes.AddRange(Enumerable.Range(0, 5).Select(_ => new FdProbe()));
                await _channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Failed, Pid = Pid, Reason = "bind: address in use" }, Probes.Select(p => p.Far).ToArray());
                Probes.ForEach(p => p.CloseFar());
                Exit(1);
                break;
            case FakeBehaviour.ReportsReadyWhenReleased:
                await _released.Task;
                await _channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Ready, Pid = Pid });
                (Answer, _) = await _channel.ReceiveAsync(TimeSpan.FromSeconds(10));
                break;
            case FakeBehaviour.FailsWhenReleased:
                await _released.Task;
                await _channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Failed, Pid = Pid, Reason = "config error: late" });
                Exit(2);
                break;
            case FakeBehaviour.SendsGarbage:
                _channel.Socket.Send("garbage\n"u8);
                break;
        }
    }
}
