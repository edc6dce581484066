namespace Baton.Hosting.Handoff;

/// <summary>A handoff that cannot proceed; the message is one line naming what and why.</summary>
public sealed class HandoffException : Exception
{
    /// <summary>Creates it with its one-line reason.</summary>
    public HandoffException(string message)
        : base(message)
    {
    }
}
