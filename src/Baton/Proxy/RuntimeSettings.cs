namespace Baton.Proxy;

/// <summary><c>Baton:Runtime</c>: .NET runtime switches Baton sets for itself before its first socket.</summary>
public sealed record RuntimeSettings
{
    /// <summary>The runtime's switch, read once, when the socket engine starts (at the first asynchronous socket operation).</summary>
    internal const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Run socket continuations on the epoll threads instead of handing each to the thread pool
    /// (the event-loop model of nginx and Envoy; the runtime then starts one epoll thread per
    /// processor). Defaults to true: measured ~20 % less CPU per proxied request, HTTP/1.1 and h2c
    /// alike (bench/PROFILE.md). Baton never blocks a thread on a socket, which is what makes it safe.
    /// </summary>
    public bool InlineSocketCompletions { get; init; } = true;

    /// <summary>
    /// Sets the runtime's switches in this process's environment (and so in every process it
    /// starts). Must run before the first asynchronous socket operation: <c>baton run</c> calls it
    /// right after the config is validated, before the handoff, Kestrel or the upstream client
    /// touch a socket. The config is the one knob: a value set by hand in the environment is
    /// replaced, so that an upgrade's new process follows its own config, not its parent's.
    /// </summary>
    public void Apply() => Environment.SetEnvironmentVariable(InlineCompletionsVariable, InlineSocketCompletions ? "1" : "0");
}
