using System.Runtime.InteropServices;
using Baton.Hosting.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Baton.Hosting.Lifecycle;

/// <summary>
/// Baton's <see cref="IHostLifetime"/>. The default <c>ConsoleLifetime</c> makes SIGQUIT a stop
/// and lets SIGHUP and SIGUSR2 kill the process; here every signal is an intent:
/// SIGTERM/SIGINT a graceful stop (the second one a fast stop), SIGQUIT and SIGUSR2 an upgrade
/// (SIGUSR2 is what nginx and HAProxy users send, and it works where a shell's background job
/// started Baton with SIGQUIT ignored, which .NET cannot take back), SIGHUP a reload. SIGUSR1 stays
/// free (log reopen). Linux only.
/// </summary>
internal sealed class BatonHostLifetime : IHostLifetime, IDisposable
{
    // SIGUSR2 has no PosixSignal member; PosixSignalRegistration takes raw Linux signal numbers.
    private const PosixSignal SigUsr2 = (PosixSignal)12;

    private readonly ILifecycleController _controller;
    private readonly ILogger _logger;
    private readonly List<PosixSignalRegistration> _registrations = new();

    public BatonHostLifetime(ILifecycleController controller, ILogger<BatonHostLifetime> logger)
    {
        _controller = controller;
        _logger = logger;
    }

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        Register(PosixSignal.SIGTERM, "SIGTERM", LifecycleIntent.GracefulStop);
        Register(PosixSignal.SIGINT, "SIGINT", LifecycleIntent.GracefulStop);
        if (Interop.Processes.IsIgnoredAtStart(Interop.Processes.SIGQUIT))
        {
            LifecycleLog.SignalIgnored(_logger, "SIGQUIT", "it was ignored when this process started (a shell's background job?), so SIGQUIT cannot trigger an upgrade here; send SIGUSR2 or use 'baton upgrade'");
        }

        if (Interop.Processes.IsIgnoredAtStart(Interop.Processes.SIGHUP))
        {
            LifecycleLog.SignalIgnored(_logger, "SIGHUP", "it was ignored when this process started (nohup?), so SIGHUP cannot reload the configuration here; an edit of the file is still reloaded by the file watcher, or start Baton without nohup");
        }

        Register(PosixSignal.SIGQUIT, "SIGQUIT", LifecycleIntent.GracefulUpgrade);
        Register(PosixSignal.SIGHUP, "SIGHUP", LifecycleIntent.Reload);
        Register(SigUsr2, "SIGUSR2", LifecycleIntent.GracefulUpgrade);
        return Task.CompletedTask;
    }

    // Signals stay registered until the process ends: a second SIGTERM during the drain must
    // still be seen (it forces a fast stop), not kill the process with 143.
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        LateSignals.IgnoreUntilExit(); // registered before ours go: no gap in which a signal kills the process
        foreach (var r in _registrations)
        {
            r.Dispose();
        }

        _registrations.Clear();
    }

    private void Register(PosixSignal signal, string name, LifecycleIntent intent)
    {
        _registrations.Add(PosixSignalRegistration.Create(signal, ctx =>
        {
            ctx.Cancel = true;
            LifecycleLog.SignalReceived(_logger, name, intent);
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Controller.Request(s.Intent, s.Name, fromSignal: true),
                (Controller: _controller, Intent: intent, Name: name), preferLocal: false);
        }));
    }
}
