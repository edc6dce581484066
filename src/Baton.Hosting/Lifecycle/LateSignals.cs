using System.Runtime.InteropServices;

namespace Baton.Hosting.Lifecycle;

/// <summary>
/// Keeps stop and upgrade signals from killing a process that has finished its stop and is only
/// tearing down: once the host (or the supervisor's loop) let go of its signal handlers, a late
/// SIGTERM — the kubelet's after a preStop, a supervisor forwarding one — would end the process
/// with 143 instead of its real exit code. These handlers swallow them until the process exits.
/// </summary>
internal static class LateSignals
{
    private static readonly object s_gate = new();
    private static List<PosixSignalRegistration>? s_registrations;

    /// <summary>From now until the process exits, SIGTERM, SIGINT, SIGQUIT, SIGHUP and SIGUSR2 are ignored.</summary>
    public static void IgnoreUntilExit()
    {
        lock (s_gate)
        {
            s_registrations ??=
            [
                .. new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT, PosixSignal.SIGHUP, (PosixSignal)12 /* SIGUSR2 */ }
                    .Select(s => PosixSignalRegistration.Create(s, static ctx => ctx.Cancel = true)),
            ];
        }
    }
}
