using Microsoft.Extensions.Configuration;

namespace Baton.Configuration;

/// <summary>
/// The config file's settings as last validated. Unlike a file provider it never re-reads the
/// file itself: <see cref="ConfigReloader"/> reads, validates, then <see cref="Replace"/>s, so
/// an edit landing between the check and the apply can neither slip in unvalidated nor throw.
/// </summary>
internal sealed class ConfigFileProvider : ConfigurationProvider, IConfigurationSource
{
    public ConfigFileProvider(IDictionary<string, string?> settings, string? filePath = null)
    {
        Data = settings;
        FilePath = filePath;
    }

    /// <summary>The file as named on the command line (for messages); null when not read from a file.</summary>
    public string? FilePath { get; }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    /// <summary>Swaps in validated settings and signals the change (YARP re-reads its section).</summary>
    public void Replace(IDictionary<string, string?> settings)
    {
        Data = settings;
        OnReload();
    }
}
