using Baton.Hosting.Draining;
using static Baton.Hosting.Tests.Draining.WebSocketFrames;

namespace Baton.Hosting.Tests.Draining;

public class GoingAwayStreamTests
{
    private static readonly byte[] CloseGoingAway = [0x88, 0x02, 0x03, 0xE9]; // close frame, status 1001

    [Fact]
    public async Task SendGoingAway_AtBoundary_WritesACloseFrameWith1001()
    {
        var inner = new MemoryStream();
        var stream = new GoingAwayStream(inner, isWebSocket: true);
        var text = Frame(0x1, 20);
        await stream.WriteAsync(text);

        Assert.True(await stream.SendGoingAwayAsync(CancellationToken.None));

        Assert.Equal([.. text, .. CloseGoingAway], inner.ToArray());
    }

    [Fact]
    public async Task SendGoingAway_NothingWrittenYet_WritesTheCloseFrame()
    {
        var inner = new MemoryStream();
        var stream = new GoingAwayStream(inner, isWebSocket: true);

        Assert.True(await stream.SendGoingAwayAsync(CancellationToken.None));

        Assert.Equal(CloseGoingAway, inner.ToArray());
    }

    [Theory]
    [InlineData(1)] // inside the 2-byte header
    [InlineData(3)] // inside the 16-bit extended length
    [InlineData(4)] // header done, payload owed
    [InlineData(300)] // one byte of payload owed
    public async Task SendGoingAway_InsideAFrame_WritesNothing(int written)
    {
        var inner = new MemoryStream();
        var stream = new GoingAwayStream(inner, isWebSocket: true);
        var frame = Frame(0x2, 297); // 2 + 2 + 297 = 301 bytes
        await stream.WriteAsync(frame.AsMemory(0, written));

        Assert.False(await stream.SendGoingAwayAsync(CancellationToken.None));

        Assert.Equal(frame[..written], inner.ToArray());
        await stream.WriteAsync(frame.AsMemory(written)); // the frame can still be finished
        Assert.Equal(frame, inner.ToArray());
    }

    [Fact]
    public async Task AfterGoingAway_LaterWritesAreDropped()
    {
        var inner = new MemoryStream();
        var stream = new GoingAwayStream(inner, isWebSocket: true);
        Assert.True(await stream.SendGoingAwayAsync(CancellationToken.None));

        await stream.WriteAsync(Frame(0x1, 5));
        stream.Write(Frame(0x1, 5), 0, 7);
        await stream.WriteAsync(Frame(0x1, 5), 0, 7);

        Assert.Equal(CloseGoingAway, inner.ToArray());
        Assert.False(await stream.SendGoingAwayAsync(CancellationToken.None)); // one close frame, never two
        Assert.Equal(CloseGoingAway, inner.ToArray());
    }

    [Fact]
    public async Task NotAWebSocket_SendGoingAwayWritesNothingAndWritesPassThrough()
    {
        var inner = new MemoryStream();
        var stream = new GoingAwayStream(inner, isWebSocket: false);
        var bytes = "anything, not framed"u8.ToArray();

        Assert.False(await stream.SendGoingAwayAsync(CancellationToken.None));
        await stream.WriteAsync(bytes);

        Assert.Equal(bytes, inner.ToArray());
    }

    [Fact]
    public async Task Reads_PassThrough()
    {
        var inner = new MemoryStream("from the client"u8.ToArray());
        var stream = new GoingAwayStream(inner, isWebSocket: true);
        var buffer = new byte[64];

        int n = await stream.ReadAsync(buffer);

        Assert.Equal("from the client"u8.ToArray(), buffer[..n]);
    }
}
