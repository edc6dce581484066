namespace Baton.Hosting.Handoff;

/// <summary>
/// A server of the app's own besides the main one (Baton's admin listener): its listeners are
/// claimed from the handed-in sockets like Kestrel's, so the new process's start-up
/// (<see cref="HandoffStartup"/>) starts it after the main server and before it reports ready, and
/// stops it once the host has stopped (it answered through the whole drain).
/// </summary>
internal interface IServerBeforeReady
{
    Task StartAsync(CancellationToken cancellationToken);

    Task StopAsync();
}
