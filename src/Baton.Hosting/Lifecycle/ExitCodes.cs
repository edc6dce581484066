namespace Baton.Hosting.Lifecycle;

/// <summary>Baton's process exit codes. Only the composition root exits; library code reports outcomes.</summary>
public static class ExitCodes
{
    /// <summary>Everything drained (or the command succeeded).</summary>
    public const int Success = 0;

    /// <summary>An unexpected error; the message says what.</summary>
    public const int Error = 1;

    /// <summary>A usage or configuration error: nothing was started.</summary>
    public const int Usage = 2;

    /// <summary>The process stopped, but requests still running at the deadline had to be aborted.</summary>
    public const int RequestsAborted = 3;

    /// <summary><c>baton upgrade</c>: the upgrade failed and was rolled back; the old process still serves.</summary>
    public const int UpgradeFailed = 4;

    /// <summary>
    /// <c>baton upgrade</c>: the upgrade was refused before anything started (upgrades disabled,
    /// another upgrade running, not Running, too many draining generations); nothing changed.
    /// </summary>
    public const int UpgradeRefused = 5;
}
