namespace Baton.Hosting.Lifecycle;

/// <summary>What the shutdown ended with; read by the composition root for the exit code.</summary>
public sealed class ShutdownOutcome
{
    /// <summary>Requests aborted at the drain deadline or by a fast stop.</summary>
    public int AbortedRequests { get; internal set; }

    /// <summary>Long-lived streams closed at the deadline.</summary>
    public int LongLivedClosed { get; internal set; }

    /// <summary>The process exit code the outcome implies.</summary>
    public int ExitCode => AbortedRequests > 0 ? ExitCodes.RequestsAborted : ExitCodes.Success;
}
