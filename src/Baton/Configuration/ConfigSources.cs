using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Baton.Configuration;

/// <summary>
/// Says where a configuration error's value came from: every line gets
/// <c>(from /etc/baton/baton.json)</c> or <c>(from environment variable BATON_Baton__Lifecycle__DrainTimeout)</c>
/// at its end, so that an override nobody remembers setting is found in one look.
/// </summary>
/// <remarks>
/// A line starts with the key it is about (<c>Baton:Lifecycle:DrainTimeout = '10': …</c>). The
/// source is the provider whose value wins for that key; for a section (an unknown key, a missing
/// one) the nearest enclosing section that some provider sets: the environment when only it sets
/// it, else the file (where a missing key is to be added).
/// </remarks>
internal static class ConfigSources
{
    /// <summary>Appends the source to each line of <paramref name="message"/>.</summary>
    public static string Annotate(IConfiguration config, string message)
        => config is IConfigurationRoot root
            ? string.Join(Environment.NewLine, message.Split(Environment.NewLine).Select(line => $"{line} ({Of(root, KeyOf(line))})"))
            : message;

    /// <summary>Where the value of <paramref name="key"/> (or of the section nearest it) came from.</summary>
    public static string Of(IConfigurationRoot root, string key)
    {
        var file = root.Providers.OfType<ConfigFileProvider>().FirstOrDefault();
        var fileText = file?.FilePath is { } path ? $"from {path}" : "from the config file";
        for (var k = key; k.Length > 0; k = k.LastIndexOf(':') is var i and > 0 ? k[..i] : "")
        {
            // The last provider holding the value wins (the environment is added after the file).
            foreach (var provider in root.Providers.Reverse())
            {
                if (provider.TryGet(k, out _))
                {
                    return provider is EnvironmentVariablesConfigurationProvider ? $"from environment variable {Variable(k)}" : fileText;
                }
            }

            var setters = root.Providers.Where(p => p.GetChildKeys([], k).Any()).ToList();
            if (setters.Count > 0)
            {
                return setters.All(p => p is EnvironmentVariablesConfigurationProvider) ? $"from environment variables {Variable(k)}__*" : fileText;
            }
        }

        return fileText;
    }

    // "Baton:Lifecycle:DrainTimeout = '10': …", "Baton:Listeners: no listener …", "ReverseProxy: …".
    private static string KeyOf(string line)
    {
        int space = line.IndexOf(' ');
        return (space < 0 ? line : line[..space]).TrimEnd(':');
    }

    // The variable as it is spelt in the environment (keys match case-insensitively).
    private static string Variable(string key)
    {
        var wanted = ConfigLoader.EnvironmentPrefix + key.Replace(":", "__", StringComparison.Ordinal);
        foreach (var name in Environment.GetEnvironmentVariables().Keys.OfType<string>())
        {
            if (string.Equals(name, wanted, StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }

        return wanted;
    }
}
