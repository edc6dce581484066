namespace Baton.Hosting.Lifecycle;

/// <summary>One cell of the lifecycle's transition table: in <paramref name="From"/>, <paramref name="Trigger"/> leads to <paramref name="Next"/> and <paramref name="Action"/>.</summary>
/// <param name="From">The phase the trigger arrives in.</param>
/// <param name="Trigger">What happened.</param>
/// <param name="Next">The phase after it (the same phase when it stays).</param>
/// <param name="Action">What the lifecycle does.</param>
/// <param name="Outcome">The outcome in words, as docs/lifecycle.md shows it and the logs say it.</param>
public sealed record LifecycleCell(LifecyclePhase From, LifecycleTrigger Trigger, LifecyclePhase Next, LifecycleAction Action, string Outcome);
