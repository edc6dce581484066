using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Baton.Configuration;

/// <summary>
/// Loads Baton's one JSON file plus <c>BATON_</c> environment overrides (.NET's double-underscore
/// convention: <c>BATON_Baton__Admin__Address=127.0.0.1:9902</c>). The file is read once per
/// load into a <see cref="ConfigFileProvider"/>, so a reload validates and applies the same bytes.
/// A missing, unreadable or malformed file becomes one line (malformed JSON with its line number).
/// </summary>
public static class ConfigLoader
{
    /// <summary>The prefix of environment overrides.</summary>
    public const string EnvironmentPrefix = "BATON_";

    /// <summary>Loads and returns the configuration root (not yet validated).</summary>
    /// <exception cref="ConfigException">The file is missing, unreadable or not valid JSON.</exception>
    public static IConfigurationRoot Load(string path) => Build(Read(path), path);

    /// <summary>The configuration root over already-read file settings (of <paramref name="path"/>, named in messages), with the environment overrides on top.</summary>
    internal static IConfigurationRoot Build(IDictionary<string, string?> fileSettings, string? path = null)
        => new ConfigurationBuilder()
            .Add(new ConfigFileProvider(fileSettings, path))
            .AddEnvironmentVariables(EnvironmentPrefix)
            .Build();

    /// <summary>Reads and parses the file into flat configuration keys (<c>Baton:Listeners:public:Address</c>).</summary>
    /// <exception cref="ConfigException">The file is missing, unreadable or not valid JSON.</exception>
    internal static IDictionary<string, string?> Read(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new ConfigException($"config file '{path}' is a directory; pass a JSON file with --config");
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigException($"config file '{path}' does not exist; pass an existing file with --config");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"config file '{path}' cannot be read: {ex.Message}");
        }

        try
        {
            using var stream = new MemoryStream(bytes);
            var parsed = new ConfigurationBuilder().AddJsonStream(stream).Build();
            return parsed.AsEnumerable().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        }
        catch (Exception ex) when (Find<JsonException>(ex) is { } json)
        {
            var line = (json.LineNumber ?? 0) + 1;
            var detail = json.Message.Split(" Path:", 2)[0].Split(" LineNumber:", 2)[0].TrimEnd('.', ' ');
            throw new ConfigException($"{path}:{line}: malformed JSON: {detail}");
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException)
        {
            // Valid JSON that is not a configuration: a top-level array, a key given twice.
            throw new ConfigException($"{path}: {ex.Message}");
        }
    }

    private static T? Find<T>(Exception? ex)
        where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T match)
            {
                return match;
            }
        }

        return null;
    }
}
