using Baton.Hosting.Handoff;

namespace Baton.Hosting.Tests.Handoff;

public class UpgradeCommandLineTests
{
    [Theory]
    [InlineData("/bin/false", new[] { "/bin/false" })]
    [InlineData("/bin/sleep 30", new[] { "/bin/sleep", "30" })]
    [InlineData("  baton   run\t--config  x.json ", new[] { "baton", "run", "--config", "x.json" })]
    [InlineData("baton run --config '/etc/my baton/b.json'", new[] { "baton", "run", "--config", "/etc/my baton/b.json" })]
    [InlineData("baton \"a b\" 'c \"d\"' \"e'f\"", new[] { "baton", "a b", "c \"d\"", "e'f" })]
    [InlineData("baton --x='1 2'3", new[] { "baton", "--x=1 23" })]
    [InlineData("baton '' \"\"", new[] { "baton", "", "" })]
    [InlineData("", new string[0])]
    [InlineData("   ", new string[0])]
    public void Split_HonoursQuotesAndWhitespace(string commandLine, string[] expected)
    {
        Assert.Equal(expected, UpgradeCommandLine.Split(commandLine));
    }

    [Fact]
    public void Resolve_Configured_IsTheSplitCommand()
    {
        Assert.Equal(["/usr/bin/baton", "run", "--config", "/etc/baton.json"], UpgradeCommandLine.Resolve("/usr/bin/baton run --config /etc/baton.json"));
    }

    [Fact]
    public void Resolve_NotConfigured_IsThisProcessWithoutUpgradeFlags()
    {
        var command = UpgradeCommandLine.Resolve(null);

        Assert.Equal(Environment.ProcessPath, command[0]);
        Assert.DoesNotContain("--upgrade", command);
        Assert.DoesNotContain("--supervise", command);
    }
}
