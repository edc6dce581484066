using Baton.Hosting.Handoff;

namespace Baton.Hosting.Tests.Handoff;

public class ListenFdsVariableTests
{
    [Fact]
    public void TryParse_PairsWithAddressKeys_ParsesInOrder()
    {
        Assert.True(ListenFdsVariable.TryParse("3=public, 4=@admin,5=127.0.0.1:8080,6=[::1]:443", out var entries, out var error), error);

        Assert.Equal([(3, "public"), (4, "@admin"), (5, "127.0.0.1:8080"), (6, "[::1]:443")], entries);
        Assert.Equal("", error);
    }

    [Fact]
    public void Format_ThenTryParse_RoundTrips()
    {
        (int, string)[] entries = [(3, "public"), (17, "h2c"), (250, "@admin")];

        var value = ListenFdsVariable.Format(entries);

        Assert.Equal("3=public,17=h2c,250=@admin", value);
        Assert.True(ListenFdsVariable.TryParse(value, out var parsed, out _));
        Assert.Equal(entries, parsed);
    }

    [Theory]
    [InlineData("abc", "BATON_LISTEN_FDS: bad entry 'abc'; expected fd=key pairs such as '3=public,4=@admin' with fd >= 3")]
    [InlineData("3=", "BATON_LISTEN_FDS: bad entry '3='")]
    [InlineData("=public", "BATON_LISTEN_FDS: bad entry '=public'")]
    [InlineData("x=public", "BATON_LISTEN_FDS: bad entry 'x=public'")]
    [InlineData("-3=public", "BATON_LISTEN_FDS: bad entry '-3=public'")]
    [InlineData("2=public", "BATON_LISTEN_FDS: bad entry '2=public'")] // stdin/out/err are never listeners
    [InlineData("99999999999=public", "BATON_LISTEN_FDS: bad entry '99999999999=public'")]
    [InlineData("3=public,3=h2c", "BATON_LISTEN_FDS: fd 3 or key 'h2c' appears twice")]
    [InlineData("3=public,4=public", "BATON_LISTEN_FDS: fd 4 or key 'public' appears twice")]
    [InlineData(",, ,", "BATON_LISTEN_FDS is set but names no fd")]
    public void TryParse_Bad_FailsWithOneLineNamingTheVariableAndTheEntry(string value, string expected)
    {
        Assert.False(ListenFdsVariable.TryParse(value, out _, out var error));

        Assert.StartsWith(expected, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void ParsePids_SkipsWhatIsNotAPid()
    {
        Assert.Equal([12, 345], ListenFdsVariable.ParsePids("12,,x,-4,0,345"));
        Assert.Empty(ListenFdsVariable.ParsePids(null));
    }
}
