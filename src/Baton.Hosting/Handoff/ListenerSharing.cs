namespace Baton.Hosting.Handoff;

/// <summary>
/// Who else may hold a listening socket. Stopping decides per listener by this, never by phase: a
/// socket another process holds is never filtered, shut down or closed for it.
/// </summary>
internal enum ListenerSharing
{
    /// <summary>No other Baton process of this service holds it: a stop may drop new handshakes, then close it.</summary>
    Alone,

    /// <summary>Handed to a new process that has not reported ready (or whose exit is not confirmed).</summary>
    Shared,

    /// <summary>The new process (or the supervisor's next worker) serves on it: this process only lets go of its copy.</summary>
    HandedOver,
}
