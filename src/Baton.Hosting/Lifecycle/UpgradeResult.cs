namespace Baton.Hosting.Lifecycle;

/// <summary>The result of an upgrade, as <c>baton upgrade</c> reports it.</summary>
/// <param name="Succeeded">True when the new process reported ready and this one is draining.</param>
/// <param name="Message">What happened, in one line (the reason for a rollback or a refusal).</param>
/// <param name="NewPid">The new process's pid, when one started.</param>
/// <param name="Refused">True when the upgrade was refused before anything started (nothing to roll back).</param>
public sealed record UpgradeResult(bool Succeeded, string Message, int? NewPid = null, bool Refused = false);
