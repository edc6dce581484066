using Baton.Hosting.Lifecycle;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Baton.Hosting.Handoff;

/// <summary>
/// The new process's side of the handoff (steps N2–N5 of docs/upgrade.md), run by the host around
/// Kestrel's start so that any ASP.NET Core app gets it:
/// <list type="number">
/// <item>Starting: take the sockets handed in (N2) and do every fallible step of N5 — write the
/// PID file's temporary file, bind the upgrade socket under a private name. A failure is reported
/// as <c>failed</c> to the old process (which keeps serving) and fails the host's start.</item>
/// <item>Kestrel starts: each endpoint is claimed from the <see cref="ListenerTable"/> by key,
/// else by address, else bound (N3, <see cref="OwnedListenerFactory"/>).</item>
/// <item>Started: start the app's other servers (<see cref="IServerBeforeReady"/>), close handed-in sockets no endpoint claimed; once the phase is Running, report
/// ready (N4) and commit N5 (PID file rename, systemd, upgrade socket path). A stop that arrived
/// while starting reports <c>failed</c> instead, so the old process keeps serving.</item>
/// </list>
/// </summary>
internal sealed class HandoffStartup : IHostedLifecycleService
{
    /// <summary>How long the new process waits for the old one's listeners on the upgrade socket.</summary>
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(30);
    private readonly HandoffIntake _intake;
    private readonly ListenerTable _table;
    private readonly ReadyAnnouncer _ready;
    private readonly ProcessIdentity _identity;
    private readonly ILifecycle _lifecycle;
    private readonly LifecycleOptions _options;
    private readonly IEnumerable<IServerBeforeReady> _servers;

    public HandoffStartup(HandoffIntake intake, ListenerTable table, ReadyAnnouncer ready, ProcessIdentity identity, ILifecycle lifecycle, IOptions<LifecycleOptions> options, IEnumerable<IServerBeforeReady> servers)
    {
        _servers = servers;
        _intake = intake;
        _table = table;
        _ready = ready;
        _identity = identity;
        _lifecycle = lifecycle;
        _options = options.Value;
    }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        try
        {
            // N2: validate the handed-in sockets and register them by key.
            await _intake.ReceiveAsync(_table, _options.SocketPath, ReceiveTimeout).ConfigureAwait(false);

            // Not a second instance: the PID file and the upgrade socket's path are not another live Baton's.
            await _intake.EnsureSoleInstanceAsync(_options).ConfigureAwait(false);
        }
        catch (HandoffException ex)
        {
            await _intake.ReportFailureAsync(ex.Message).ConfigureAwait(false);
            throw;
        }

        if (_intake.Generation is { } generation)
        {
            _identity.Generation = generation;
        }

        // N5's fallible steps, before anything accepts and long before ready.
        if (_ready.Prepare() is { } error)
        {
            await _intake.ReportFailureAsync(error).ConfigureAwait(false);
            throw new IOException(error);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        // The app's other servers (the admin listener) claim theirs too, still before ready.
        try
        {
            foreach (var server in _servers)
            {
                await server.StartAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            await _intake.ReportFailureAsync(ex.Message).ConfigureAwait(false);
            throw;
        }

        // N3 is done: every endpoint is claimed; what the new configuration dropped closes.
        _table.CloseUnclaimed();
        if (_lifecycle.Phase != LifecyclePhase.Running)
        {
            // Stopped (SIGTERM) while starting: never report ready.
            await _intake.ReportFailureAsync($"stopped while starting ({_lifecycle.Phase})").ConfigureAwait(false);
            return;
        }

        // N4, then N5's commits (nothing here can fail the upgrade any more).
        await _ready.AnnounceAsync().ConfigureAwait(false);
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        // The drain is over: the other servers answered through it and close last.
        foreach (var server in _servers)
        {
            await server.StopAsync().ConfigureAwait(false);
        }
    }
}
