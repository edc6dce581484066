namespace Baton.Hosting.Lifecycle;

/// <summary>Hands this process's listeners to a new one (the upgrade issue's handoff).</summary>
public interface IUpgradeHandler
{
    /// <summary>Runs one upgrade to completion: ready (this process then drains) or rolled back.</summary>
    Task<UpgradeResult> UpgradeAsync(string source, CancellationToken cancellationToken);
}
