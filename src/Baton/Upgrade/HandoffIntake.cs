using Baton.Configuration;
using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;

namespace Baton.Upgrade;

/// <summary>
/// How this process receives listening sockets at start: inherited on re-exec
/// (<c>BATON_LISTEN_FDS</c>), from systemd (<c>LISTEN_FDS</c>), over the upgrade socket
/// (<c>baton run --upgrade</c>), or not at all; and how it reports ready or failed to whoever
/// handed them over.
/// </summary>
internal sealed class HandoffIntake
{
    private HandoffIntake()
    {
    }

    /// <summary>Set when the environment is unusable; the process must not start.</summary>
    public string? Error { get; private init; }

    public static HandoffIntake FromEnvironment() => new();

    public Task ReceiveAsync(ListenerTable table, BatonSettings settings) => Task.CompletedTask;

    public Task ReportReadyAsync(IServiceProvider services) => Task.CompletedTask;

    public Task ReportFailureAsync(string reason) => Task.CompletedTask;

    public int Fail(string error)
    {
        Console.Error.WriteLine($"baton: {error}");
        return ExitCodes.Usage;
    }
}
