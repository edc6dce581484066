namespace Baton.Hosting.Handoff;

/// <summary>How this process got its listening sockets.</summary>
public enum IntakeMode
{
    /// <summary>It binds them itself.</summary>
    None,

    /// <summary>Inherited from the old process on re-exec (<c>BATON_LISTEN_FDS</c>).</summary>
    ReExec,

    /// <summary>Received from the old process over its upgrade socket (<c>baton run --upgrade</c>).</summary>
    UpgradeSocket,

    /// <summary>Passed by systemd socket activation (<c>LISTEN_FDS</c>).</summary>
    Systemd,
}
