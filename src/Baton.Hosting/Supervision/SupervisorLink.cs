using Baton.Hosting.Diagnostics;
using Baton.Hosting.Handoff;
using Baton.Hosting.Lifecycle;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Hosting.Supervision;

/// <summary>
/// A supervised worker's side of the supervisor (see <see cref="Supervisor"/>): upgrades asked of
/// the worker (SIGQUIT, <c>baton upgrade</c>) go to the supervisor, which owns the listeners and
/// starts the next worker; when that worker is ready the supervisor says "drain", and this one
/// stops accepting and drains.
/// </summary>
internal sealed class SupervisorLink : IUpgradeHandler, IStopListener
{
    private readonly HandoffIntake _intake;
    private readonly ShutdownCoordinator _lifecycle;
    private readonly ListenerTable _table;
    private readonly LifecycleOptions _options;
    private readonly ProcessIdentity _identity;
    private readonly ILogger _logger;
    private TaskCompletionSource<UpgradeResult>? _pending;

    public SupervisorLink(HandoffIntake intake, ShutdownCoordinator lifecycle, ListenerTable table, IOptions<LifecycleOptions> options, ProcessIdentity identity, ILogger<SupervisorLink> logger)
    {
        _intake = intake;
        _lifecycle = lifecycle;
        _table = table;
        _options = options.Value;
        _identity = identity;
        _logger = logger;
    }

    /// <summary>
    /// This worker began a stop of the service (preStop, or SIGTERM sent to it): the supervisor
    /// must stop with it, not start a new worker when this one exits 0.
    /// </summary>
    public void StopBegan(string source)
    {
        if (_intake.SupervisorChannel is { } channel)
        {
            _ = SendStoppingAsync(channel, source);
        }
    }

    private static async Task SendStoppingAsync(UpgradeChannel channel, string source)
    {
        try
        {
            await channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Stopping, Pid = Environment.ProcessId, Reason = source }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // The supervisor is gone: nothing to tell.
        }
    }

    public void Start()
    {
        if (_intake.SupervisorChannel is { } channel)
        {
            _ = ReadLoopAsync(channel);
        }
    }

    public async Task<UpgradeResult> UpgradeAsync(string source, CancellationToken cancellationToken)
    {
        if (_intake.SupervisorChannel is not { } channel)
        {
            return new UpgradeResult(false, "upgrade refused: the supervisor is gone", Refused: true);
        }

        var pending = new TaskCompletionSource<UpgradeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _pending, pending, null) is not null)
        {
            return new UpgradeResult(false, "upgrade refused: an upgrade is already in progress; one upgrade at a time", Refused: true);
        }

        try
        {
            LifecycleLog.UpgradeRequested(_logger, source, Environment.ProcessId, _identity.Generation, "asks the supervisor for a new worker");
            await channel.SendAsync(new HandoffMessage { Type = HandoffMessage.Upgrade, Pid = Environment.ProcessId, Reason = source }).ConfigureAwait(false);
            return await pending.Task.WaitAsync(_options.UpgradeTimeout + TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new UpgradeResult(false, "the supervisor did not answer the upgrade request");
        }
        finally
        {
            Interlocked.CompareExchange(ref _pending, null, pending);
        }
    }

    private async Task ReadLoopAsync(UpgradeChannel channel)
    {
        while (true)
        {
            HandoffMessage? message;
            try
            {
                (message, _) = await channel.ReceiveAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or ObjectDisposedException)
            {
                message = null;
            }

            switch (message?.Type)
            {
                case null:
                    if (_lifecycle.State.Phase is not (LifecyclePhase.UpgradeDraining or LifecyclePhase.Stopped))
                    {
                        LifecycleLog.HandoffFailed(_logger, "the supervisor closed its channel; this worker keeps serving on its own");
                    }

                    _pending?.TrySetResult(new UpgradeResult(false, "the supervisor is gone"));
                    return;
                case HandoffMessage.Result:
                    _pending?.TrySetResult(new UpgradeResult(message.Succeeded, message.Reason ?? "", message.Pid, message.IsRefusal));
                    break;
                case HandoffMessage.Drain:
                    // The next worker serves on these sockets: mark them before anything can stop (and filter) them.
                    foreach (var l in _table.Listeners)
                    {
                        l.Sharing = ListenerSharing.HandedOver;
                    }

                    await _lifecycle.DrainOrderedAsync($"the supervisor started pid {message.Pid}; draining this worker").ConfigureAwait(false);
                    break;
            }
        }
    }
}
