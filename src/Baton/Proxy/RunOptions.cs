namespace Baton.Proxy;

/// <summary>How <c>baton run</c> was asked to run.</summary>
/// <param name="ConfigPath">The JSON config file.</param>
/// <param name="JsonLogs">Structured JSON logs on stdout instead of single lines.</param>
/// <param name="Upgrade">Take the listeners over from the running Baton on <c>Lifecycle:SocketPath</c>.</param>
/// <param name="Supervise">Run as the supervisor of a serving worker (automatic as PID 1).</param>
public sealed record RunOptions(string ConfigPath, bool JsonLogs, bool Upgrade, bool Supervise = false);
