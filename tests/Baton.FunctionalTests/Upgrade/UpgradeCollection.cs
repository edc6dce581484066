namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// The upgrade tests run one at a time and alone: they count every failed request across many
/// process generations and time the old process's CPU, which other Baton processes would blur.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class UpgradeCollection
{
    public const string Name = "Upgrade";
}

/// <summary>One completed upgrade, as the old and the new process logged it.</summary>
/// <param name="OldPid">The process that handed its listeners over.</param>
/// <param name="NewPid">The process that took them.</param>
/// <param name="Generation">The new process's generation (its <c>Started</c> event).</param>
/// <param name="Elapsed">The old process's own measure, from the request to the new one's ready report.</param>
/// <param name="Observed">From the test's trigger (signal or start) to the old process logging <c>UpgradeReady</c>.</param>
internal sealed record UpgradeStep(int OldPid, int NewPid, int Generation, TimeSpan Elapsed, TimeSpan Observed);
