namespace Baton.Hosting.Lifecycle;

/// <summary>Reloads configuration (SIGHUP). Provided by the application.</summary>
public interface IReloadHandler
{
    /// <summary>Reloads; logs success or why the new configuration was rejected.</summary>
    void Reload(string source);
}
