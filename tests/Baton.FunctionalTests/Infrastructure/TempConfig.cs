using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.FunctionalTests.Infrastructure;

/// <summary>
/// A config file in its own temp directory, for tests that run <c>baton</c> to completion
/// (validation, <c>check</c>) and need no upstream. <see cref="Valid"/> is a minimal valid config
/// whose listeners sit on ports reserved up front, so a test can prove nothing was bound there.
/// </summary>
public sealed class TempConfig : IDisposable
{
    public TempConfig()
    {
        Work = Directory.CreateTempSubdirectory("baton-config-");
        Path = System.IO.Path.Combine(Work.FullName, "baton.json");
        PublicPort = FreePorts.Reserve();
        AdminPort = FreePorts.Reserve();
        Config = new JsonObject
        {
            ["Baton"] = new JsonObject
            {
                ["Listeners"] = new JsonObject
                {
                    ["public"] = new JsonObject { ["Address"] = $"127.0.0.1:{PublicPort}", ["Protocols"] = "Http1AndHttp2" },
                },
                ["Admin"] = new JsonObject { ["Address"] = $"127.0.0.1:{AdminPort}" },
                ["Lifecycle"] = new JsonObject { ["DrainTimeout"] = "00:00:10", ["ShutdownGracePeriod"] = "00:00:00" },
            },
            ["ReverseProxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject { ["all"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Path"] = "{**catch-all}" } } },
                ["Clusters"] = new JsonObject { ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["a"] = new JsonObject { ["Address"] = "http://127.0.0.1:5000/" } } } },
            },
        };
    }

    public DirectoryInfo Work { get; }

    public string Path { get; }

    /// <summary>The port of listener <c>public</c>.</summary>
    public int PublicPort { get; }

    /// <summary>The port of the admin listener.</summary>
    public int AdminPort { get; }

    /// <summary>The config as JSON; edit it, then <see cref="Write()"/>.</summary>
    public JsonObject Config { get; }

    public JsonObject Baton => (JsonObject)Config["Baton"]!;

    public JsonObject Listeners => (JsonObject)Baton["Listeners"]!;

    public JsonObject Public => (JsonObject)Listeners["public"]!;

    public TempConfig Write()
    {
        File.WriteAllText(Path, Config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return this;
    }

    /// <summary>Writes <paramref name="text"/> as the file, verbatim (for malformed JSON).</summary>
    public TempConfig Write(string text)
    {
        File.WriteAllText(Path, text);
        return this;
    }

    public void Dispose()
    {
        try
        {
            Work.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
