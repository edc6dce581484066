namespace Baton.Hosting.Supervision;

/// <summary>One cell of the supervisor's table.</summary>
public sealed record SupervisorCell(SupervisorPhase From, SupervisorTrigger Trigger, SupervisorPhase Next, SupervisorAction Action, string Outcome);
