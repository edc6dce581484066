using System.Text;

namespace Baton.Hosting.Lifecycle;

/// <summary>
/// Renders a transition table (<see cref="LifecycleTable"/>, <see cref="Supervision.SupervisorTable"/>)
/// as docs/lifecycle.md shows it: one row per (phase, trigger), the pairs that cannot happen included.
/// </summary>
internal static class TransitionTableMarkdown
{
    private const string CannotHappen = "cannot happen (a bug: logged as IllegalTrigger, phase unchanged)";

    /// <param name="phaseHeader">The first column's header ("phase", "supervisor phase").</param>
    /// <param name="find">The cell of a pair as (next phase, action, outcome); null when it cannot happen.</param>
    /// <param name="tests">The tests of a pair.</param>
    public static string Render<TPhase, TTrigger>(string phaseHeader, Func<TPhase, TTrigger, (TPhase Next, string Action, string Outcome)?> find, Func<TPhase, TTrigger, string> tests)
        where TPhase : struct, Enum
        where TTrigger : struct, Enum
    {
        var sb = new StringBuilder();
        sb.Append("| ").Append(phaseHeader).Append(" | trigger | next phase | action | outcome | tests |\n|---|---|---|---|---|---|\n");
        foreach (var phase in Enum.GetValues<TPhase>())
        {
            foreach (var trigger in Enum.GetValues<TTrigger>())
            {
                var cell = find(phase, trigger);
                sb.Append("| ").Append(phase).Append(" | ").Append(trigger).Append(" | ")
                  .Append(cell is not { } c ? "—" : EqualityComparer<TPhase>.Default.Equals(c.Next, phase) ? "(stays)" : c.Next.ToString()).Append(" | ")
                  .Append(cell?.Action ?? "—").Append(" | ")
                  .Append(cell?.Outcome ?? CannotHappen).Append(" | ")
                  .Append(tests(phase, trigger)).Append(" |\n");
            }
        }

        return sb.ToString();
    }
}
