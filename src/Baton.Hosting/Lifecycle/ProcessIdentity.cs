namespace Baton.Hosting.Lifecycle;

/// <summary>Who this process is among the generations of one Baton service.</summary>
public sealed class ProcessIdentity
{
    /// <summary>The environment variable a parent sets for the generation of the process it starts.</summary>
    public const string GenerationVariable = "BATON_GENERATION";

    /// <summary>1 for the first process; each upgrade adds one.</summary>
    public int Generation { get; internal set; } =
        int.TryParse(Environment.GetEnvironmentVariable(GenerationVariable), out var g) && g > 0 ? g : 1;

    /// <summary>This process's id.</summary>
    public int Pid { get; } = Environment.ProcessId;
}
