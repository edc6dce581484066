using System.Text.Json.Nodes;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Tls;

/// <summary>A bad <c>Sni</c> section is refused by both <c>check</c> and <c>run</c>, with one line naming the key, exit 2.</summary>
public class TlsConfigTests
{
    [Theory]
    [InlineData("bad_name!", "Baton:Listeners:public:Sni:bad_name!", "is not a host name")]
    [InlineData("a.*.example.test", "Baton:Listeners:public:Sni:a.*.example.test", "*.example.com")]
    [InlineData("127.0.0.1", "Baton:Listeners:public:Sni:127.0.0.1", "never send as a server name")]
    public async Task BadHostName_IsRefused(string hostName, string names, string allowed)
    {
        using var config = new TempConfig();
        TestCertificates.WritePem(config.Work.FullName);
        config.Public["Sni"] = new JsonObject { [hostName] = Entry("cert.pem", "key.pem") };

        await RejectedByCheckAndRunAsync(config.Write(), names, allowed);
    }

    [Fact]
    public async Task MissingSniCertificate_NamesTheEntryAndTheFile()
    {
        using var config = new TempConfig();
        TestCertificates.WritePem(config.Work.FullName);
        config.Public["Sni"] = new JsonObject { ["api.example.test"] = Entry("nope.pem", "key.pem") };

        await RejectedByCheckAndRunAsync(config.Write(), "Baton:Listeners:public:Sni:api.example.test:Certificate:Path = 'nope.pem'", "file not found");
    }

    [Fact]
    public async Task SniKeyThatDoesNotMatchItsCertificate_IsRefusedByCheckAndRun()
    {
        using var config = new TempConfig();
        TestCertificates.WritePem(config.Work.FullName, "a.pem", "a.key");
        TestCertificates.WritePem(config.Work.FullName, "b.pem", "b.key");
        config.Public["Sni"] = new JsonObject { ["api.example.test"] = Entry("a.pem", "b.key") };

        await RejectedByCheckAndRunAsync(config.Write(), "Baton:Listeners:public:Sni:api.example.test:Certificate: cannot load", "b.key");
    }

    [Fact]
    public async Task StarEntryBesideTheListenersCertificate_IsRefused()
    {
        using var config = new TempConfig();
        TestCertificates.WritePem(config.Work.FullName);
        config.Public["Certificate"] = new JsonObject { ["Path"] = "cert.pem", ["KeyPath"] = "key.pem" };
        config.Public["Sni"] = new JsonObject { ["*"] = Entry("cert.pem", "key.pem") };

        await RejectedByCheckAndRunAsync(config.Write(), "Baton:Listeners:public:Sni:*", "keep one of the two");
    }

    [Fact]
    public async Task UnknownKeyInAnSniEntry_SuggestsTheKnownOne()
    {
        using var config = new TempConfig();
        TestCertificates.WritePem(config.Work.FullName);
        config.Public["Sni"] = new JsonObject { ["api.example.test"] = new JsonObject { ["Certificat"] = new JsonObject { ["Path"] = "cert.pem", ["KeyPath"] = "key.pem" } } };

        await RejectedByCheckAndRunAsync(config.Write(), "Baton:Listeners:public:Sni:api.example.test:Certificat", "did you mean 'Certificate'?");
    }

    /// <summary>Both commands exit 2 and print the same line naming the key and what is allowed; <c>run</c> binds nothing.</summary>
    internal static async Task RejectedByCheckAndRunAsync(TempConfig config, params string[] expected)
    {
        var check = await BatonCli.RunAsync(["check", "--config", config.Path]);
        var run = await BatonCli.RunAsync(["run", "--config", config.Path, "--log-format", "json"]);
        foreach (var result in new[] { check, run })
        {
            Assert.True(result.ExitCode == 2, result.ToString());
            var line = Assert.Single(result.StderrLines, l => expected.All(e => l.Contains(e, StringComparison.Ordinal)));
            Assert.StartsWith("baton: config error: ", line);
        }

        Assert.False(await FreePorts.IsAcceptingAsync(config.PublicPort));
    }

    private static JsonObject Entry(string cert, string key) => new()
    {
        ["Certificate"] = new JsonObject { ["Path"] = cert, ["KeyPath"] = key },
    };
}
