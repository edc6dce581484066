namespace Baton.Hosting.Lifecycle;

/// <summary>
/// Told when this process begins a stop of the service (a graceful or fast stop, not the drain
/// after an upgrade). A supervised worker tells its supervisor, so a preStop is one orderly stop of
/// the service instead of a worker restart.
/// </summary>
internal interface IStopListener
{
    void StopBegan(string source);
}

/// <summary>
/// Runs once the new process serves and before this one's drain closes its idle connections
/// (<see cref="LifecyclePhase.UpgradeDraining"/>): the handoff lets busy keep-alive connections end
/// cleanly first.
/// </summary>
internal interface IHandOverStep
{
    Task BeforeDrainAsync();
}
