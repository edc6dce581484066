namespace Baton.Hosting.Handoff;

/// <summary>Where a listening socket came from.</summary>
public enum ListenerOrigin
{
    /// <summary>Bound by this process.</summary>
    Bound,

    /// <summary>Inherited from the parent on re-exec (<c>BATON_LISTEN_FDS</c>).</summary>
    Inherited,

    /// <summary>Passed by systemd socket activation (<c>LISTEN_FDS</c>).</summary>
    SocketActivated,

    /// <summary>Received over the upgrade socket (SCM_RIGHTS).</summary>
    Received,
}
