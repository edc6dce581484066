using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Baton.Hosting;

namespace Baton.FunctionalTests.Install;

/// <summary>
/// Baton.Hosting as a library any ASP.NET Core app can use: <c>dotnet pack</c> builds its package
/// with the XML docs and the README, the public API the sample uses is documented, and the proxy
/// gets no view of its internals (Baton is one more app on the public API).
/// </summary>
public class HostingPackageTests : IDisposable
{
    private readonly DirectoryInfo _out = Directory.CreateTempSubdirectory("baton-pack-");

    [Fact]
    public async Task Pack_BuildsThePackageWithXmlDocsAndReadme()
    {
        // --no-build: packs what this test run already built, so it never races the build.
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "pack", RepoFiles.PathOf("src/Baton.Hosting"), "-c", "Release", "--no-build", "-o", _out.FullName })
        {
            psi.ArgumentList.Add(a);
        }

        using var pack = Process.Start(psi)!;
        var output = pack.StandardOutput.ReadToEndAsync();
        var errors = pack.StandardError.ReadToEndAsync();
        await pack.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(pack.ExitCode == 0, $"dotnet pack exited {pack.ExitCode}: {await output} {await errors}");

        var package = Assert.Single(_out.GetFiles("Baton.Hosting.*.nupkg"));
        using var zip = ZipFile.OpenRead(package.FullName);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("lib/net10.0/Baton.Hosting.dll", entries);
        Assert.Contains("lib/net10.0/Baton.Hosting.xml", entries);
        Assert.Contains("README.md", entries);

        // The calls the sample makes are documented in the package's XML docs.
        using var xml = zip.GetEntry("lib/net10.0/Baton.Hosting.xml")!.Open();
        var members = XDocument.Load(xml).Descendants("member")
            .Where(m => !string.IsNullOrWhiteSpace(m.Element("summary")?.Value))
            .Select(m => (string)m.Attribute("name")!).ToList();
        foreach (var api in new[] { "M:Baton.Hosting.BatonHostingExtensions.AddBatonLifecycle", "M:Baton.Hosting.BatonHostingExtensions.UseBatonLifecycle",
            "M:Baton.Hosting.BatonUpgradeExtensions.AddBatonUpgrades", "M:Baton.Hosting.BatonListenOptionsExtensions.UseBatonHandoffKey" })
        {
            Assert.Contains(members, m => m.StartsWith(api, StringComparison.Ordinal));
        }

        using var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var description = XDocument.Load(nuspec).Descendants().Single(e => e.Name.LocalName == "description").Value;
        Assert.Contains("zero-downtime", description, StringComparison.Ordinal);
    }

    [Fact]
    public void Library_GrantsTheProxyNoInternals()
    {
        var friends = typeof(BatonHostingExtensions).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName);
        Assert.DoesNotContain("Baton", friends);
    }

    public void Dispose() => _out.Delete(recursive: true);
}
