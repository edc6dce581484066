using System.Net;
using Baton.Configuration;

namespace Baton.FunctionalTests.Install;

/// <summary>The repository's own files (found from the test binary upward), and the shipped default config as Baton reads it.</summary>
internal static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>src/Baton/Baton.csproj's &lt;Version&gt;: the version of every artifact.</summary>
    public static string Version
    {
        get
        {
            var project = Read("src/Baton/Baton.csproj");
            int start = project.IndexOf("<Version>", StringComparison.Ordinal) + "<Version>".Length;
            return project[start..project.IndexOf("</Version>", start, StringComparison.Ordinal)];
        }
    }

    /// <summary>A config file validated by Baton's own validator: the values it runs with, defaults filled in.</summary>
    public static BatonSettings Settings(string configPath)
        => ConfigValidator.Validate(ConfigLoader.Load(configPath), Path.GetDirectoryName(Path.GetFullPath(configPath))!);

    /// <summary>The TCP ports of the listeners that serve traffic (the admin listener stays on loopback).</summary>
    public static int[] PublicPorts(BatonSettings settings)
        => settings.Listeners.Select(l => l.EndPoint).OfType<IPEndPoint>().Select(e => e.Port).Order().ToArray();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Baton.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Baton.slnx above {AppContext.BaseDirectory}");
    }
}
