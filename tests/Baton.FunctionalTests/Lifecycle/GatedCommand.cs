using Baton.Testing;

namespace Baton.FunctionalTests.Lifecycle;

/// <summary>
/// An <c>UpgradeCommand</c> that starts Baton only once the test opens a gate (creates a file), or
/// that never starts it: a slow or hung new process, under the test's control and without a timer.
/// </summary>
internal sealed class GatedCommand
{
    private GatedCommand(string gate, string command)
    {
        Gate = gate;
        Command = command;
    }

    /// <summary>The file whose existence lets the command go on.</summary>
    public string Gate { get; }

    /// <summary>The command line for <c>Baton:Lifecycle:UpgradeCommand</c>.</summary>
    public string Command { get; }

    /// <summary>Waits for the gate, then execs <c>baton run --config CONFIG --log-format json</c>.</summary>
    public static GatedCommand ThenBaton(string directory, string configPath)
    {
        var gate = Path.Combine(directory, "gate");
        var (file, prefix) = BatonProcess.Command();
        var baton = string.Join(' ', prefix.Append(file).Select(Quote));
        return Write(directory, gate, $"while [ ! -e {Quote(gate)} ]; do sleep 0.02; done\nexec {baton} run --config {Quote(configPath)} --log-format json\n");
    }

    /// <summary>Ignores SIGTERM and never starts anything (a hung new process; only SIGKILL ends it).</summary>
    public static GatedCommand Hung(string directory)
        => Write(directory, Path.Combine(directory, "gate"), "trap '' TERM\nwhile :; do sleep 0.02; done\n");

    /// <summary>Opens the gate.</summary>
    public void Open() => File.WriteAllText(Gate, "");

    /// <summary>Closes it again (the next start waits).</summary>
    public void Close() => File.Delete(Gate);

    private static GatedCommand Write(string directory, string gate, string body)
    {
        var script = Path.Combine(directory, $"gated-{Guid.NewGuid():N}.sh");
        File.WriteAllText(script, "#!/bin/sh\n" + body);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new GatedCommand(gate, script);
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
