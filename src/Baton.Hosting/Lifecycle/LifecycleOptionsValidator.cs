using Microsoft.Extensions.Options;

namespace Baton.Hosting.Lifecycle;

/// <summary>Validates <see cref="LifecycleOptions"/>; each failure names the key, the value and the allowed range.</summary>
public sealed class LifecycleOptionsValidator : IValidateOptions<LifecycleOptions>
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LifecycleOptions options)
    {
        var errors = new List<string>();
        Range(errors, "DrainTimeout", options.DrainTimeout, TimeSpan.FromMilliseconds(1), Day);
        Range(errors, "ShutdownGracePeriod", options.ShutdownGracePeriod, TimeSpan.Zero, Day);
        // Bounded by DrainTimeout only when that is valid itself: a bad DrainTimeout is one line, not two.
        var drainValid = options.DrainTimeout >= TimeSpan.FromMilliseconds(1) && options.DrainTimeout <= Day;
        Range(errors, "LongLivedCloseLead", options.LongLivedCloseLead, TimeSpan.Zero, drainValid ? options.DrainTimeout : Day);
        Range(errors, "FastStopTimeout", options.FastStopTimeout, TimeSpan.Zero, TimeSpan.FromMinutes(5));
        Range(errors, "UpgradeTimeout", options.UpgradeTimeout, TimeSpan.FromMilliseconds(100), Day);
        if (options.MaxDrainingGenerations is < 1 or > 100)
        {
            errors.Add($"Baton:Lifecycle:MaxDrainingGenerations = {options.MaxDrainingGenerations}: allowed 1 to 100");
        }

        if (options.SocketPath is { } path && (path.Length == 0 || path.Length > 107))
        {
            errors.Add($"Baton:Lifecycle:SocketPath = '{path}': a Unix socket path of 1 to 107 bytes");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Range(List<string> errors, string key, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"Baton:Lifecycle:{key} = {value}: allowed {min} to {max}");
        }
    }
}
