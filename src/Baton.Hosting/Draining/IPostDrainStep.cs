namespace Baton.Hosting.Draining;

/// <summary>
/// A step run after the downstream drain, before the process exits — for example closing
/// upstream connection pools so idle upstream connections end with FIN, not RST.
/// </summary>
public interface IPostDrainStep
{
    /// <summary>A short name for the logs.</summary>
    string Name { get; }

    /// <summary>Runs the step; returns a one-line summary for the logs.</summary>
    Task<string> RunAsync(CancellationToken cancellationToken);
}
