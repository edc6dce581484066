using System.Text;
using Baton.Hosting.Handoff;

namespace Baton.Hosting.Tests.Handoff;

public class HandoffMessageTests
{
    [Fact]
    public void Encode_OneLineOfJson_DecodesToTheSameMessage()
    {
        var message = new HandoffMessage { Type = HandoffMessage.Listeners, Pid = 42, Keys = ["public", "@admin"], DrainingPids = [7], Generation = 3, Reason = "a\nb" };

        var bytes = message.Encode();

        Assert.Equal((byte)'\n', bytes[^1]);
        Assert.Equal(1, bytes.Count(b => b == '\n')); // a newline in a value is escaped
        var decoded = HandoffMessage.TryDecode(bytes.AsSpan(0, bytes.Length - 1), out var error);
        Assert.NotNull(decoded);
        Assert.Equal("", error);
        Assert.Equal(message.Type, decoded.Type);
        Assert.Equal(message.Keys, decoded.Keys);
        Assert.Equal(message.DrainingPids, decoded.DrainingPids);
        Assert.Equal((42, 3, "a\nb"), (decoded.Pid, decoded.Generation, decoded.Reason));
    }

    [Theory]
    [InlineData("garbage", "not JSON")]
    [InlineData("", "not JSON")]
    [InlineData("{", "not JSON")]
    [InlineData("[1,2]", "not JSON")]
    [InlineData("\"hello\"", "not JSON")]
    [InlineData("{}", "not a handoff message (unknown or missing \"type\")")]
    [InlineData("{\"type\":\"HELLO\"}", "not a handoff message")]
    [InlineData("{\"type\":\"shutdown\"}", "not a handoff message")]
    [InlineData("{\"type\":\"hello\",\"version\":2}", "protocol version 2, expected 1")]
    [InlineData("{\"type\":\"hello\",\"pid\":\"x\"}", "not JSON")]
    [InlineData("null", "not a handoff message")]
    public void TryDecode_Garbage_ReturnsNullWithOneLineAndNeverThrows(string line, string expected)
    {
        var message = HandoffMessage.TryDecode(Encoding.UTF8.GetBytes(line), out var error);

        Assert.Null(message);
        Assert.StartsWith(expected, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void TryDecode_InvalidUtf8_ReturnsNull()
    {
        Assert.Null(HandoffMessage.TryDecode([0xff, 0xfe, (byte)'{', 0xc3], out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void TryDecode_HelloWithoutVersion_IsVersion1()
    {
        var message = HandoffMessage.TryDecode("{\"type\":\"hello\",\"pid\":5}"u8, out _);

        Assert.Equal((HandoffMessage.Hello, 1, 5), (message?.Type, message?.Version, message?.Pid));
    }
}
