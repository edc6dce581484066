namespace Baton.Configuration;

/// <summary>A configuration problem: one line naming the key, the value and what is allowed.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message)
        : base(message)
    {
    }
}
