using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Baton.Configuration;

/// <summary>
/// Loads Baton's one JSON file plus <c>BATON_</c> environment overrides (.NET's double-underscore
/// convention: <c>BATON_Baton__Admin__Address=127.0.0.1:9902</c>). Malformed JSON becomes one
/// line with the file and line number.
/// </summary>
public static class ConfigLoader
{
    /// <summary>The prefix of environment overrides.</summary>
    public const string EnvironmentPrefix = "BATON_";

    /// <summary>Loads and returns the configuration root (not yet validated).</summary>
    /// <exception cref="ConfigException">The file is missing or not valid JSON.</exception>
    public static IConfigurationRoot Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ConfigException($"config file '{path}' does not exist; pass an existing file with --config");
        }

        try
        {
            return new ConfigurationBuilder()
                .AddJsonFile(full, optional: false, reloadOnChange: false)
                .AddEnvironmentVariables(EnvironmentPrefix)
                .Build();
        }
        catch (InvalidDataException ex) when (ex.InnerException is JsonException json)
        {
            var line = (json.LineNumber ?? 0) + 1;
            var detail = json.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.', ' ');
            throw new ConfigException($"{path}:{line}: malformed JSON: {detail}");
        }
        catch (InvalidDataException ex)
        {
            throw new ConfigException($"{path}: {ex.InnerException?.Message ?? ex.Message}");
        }
        catch (FormatException ex)
        {
            throw new ConfigException($"{path}: malformed JSON: {ex.Message}");
        }
    }
}
