using Baton.Hosting.Draining;
using static Baton.Hosting.Tests.Draining.WebSocketFrames;

namespace Baton.Hosting.Tests.Draining;

public class WebSocketFrameBoundaryTests
{
    public static TheoryData<string, byte[][]> Streams => new()
    {
        { "7-bit lengths", [Frame(0x1, 5), Frame(0x2, 0), Frame(0x9, 125)] },
        { "16-bit length", [Frame(0x2, 126), Frame(0x1, 3), Frame(0x2, 300)] },
        { "masked (client to server)", [Frame(0x1, 4, masked: true), Frame(0x2, 200, masked: true), Frame(0x8, 2, masked: true)] },
        { "fragmented message", [Frame(0x1, 10, fin: false), Frame(0x0, 10, fin: false), Frame(0x9, 0), Frame(0x0, 1)] },
        { "64-bit length encoding", [Frame(0x2, 40, forceLengthBytes: 8), Frame(0x1, 1), Frame(0x2, 130, masked: true, forceLengthBytes: 8)] },
    };

    [Theory]
    [MemberData(nameof(Streams))]
    public void Advance_SplitAtEveryOffset_AtBoundaryOnlyBetweenFrames(string name, byte[][] frames)
    {
        var (bytes, boundaries) = Concat(frames);

        for (int split = 0; split <= bytes.Length; split++)
        {
            var tracker = new WebSocketFrameBoundary();
            tracker.Advance(bytes.AsSpan(0, split));
            Assert.True(boundaries.Contains(split) == tracker.AtBoundary, $"{name}: after {split} of {bytes.Length} bytes, AtBoundary = {tracker.AtBoundary}");
            tracker.Advance(bytes.AsSpan(split));
            Assert.True(tracker.AtBoundary, $"{name}: split at {split}, the whole stream must end at a boundary");
        }
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void Advance_ThreeChunks_AtBoundaryOnlyBetweenFrames(string name, byte[][] frames)
    {
        var (bytes, boundaries) = Concat(frames);

        for (int first = 0; first <= bytes.Length; first += 3)
        {
            for (int second = first; second <= bytes.Length; second += 7)
            {
                var tracker = new WebSocketFrameBoundary();
                tracker.Advance(bytes.AsSpan(0, first));
                tracker.Advance(bytes.AsSpan(first, second - first));
                Assert.True(boundaries.Contains(second) == tracker.AtBoundary, $"{name}: chunks {first}/{second}");
                tracker.Advance(bytes.AsSpan(second));
                Assert.True(tracker.AtBoundary);
            }
        }
    }

    [Fact]
    public void Advance_64BitLengthFrameByteByByte_AtBoundaryOnlyAfterItsLastByte()
    {
        var big = Frame(0x2, 70_000); // > 65535: needs the 64-bit length
        Assert.Equal(127, big[1]);
        var (bytes, boundaries) = Concat(Frame(0x1, 2), big, Frame(0x8, 2));
        var tracker = new WebSocketFrameBoundary();

        for (int i = 0; i < bytes.Length; i++)
        {
            tracker.Advance(bytes.AsSpan(i, 1));
            Assert.True(boundaries.Contains(i + 1) == tracker.AtBoundary, $"after byte {i + 1} of {bytes.Length}");
        }
    }

    [Fact]
    public void Advance_64BitLengthAbove2GiB_IsTrackedWithoutOverflow()
    {
        // Only the header is written: the payload of 3 GiB is still owed.
        var header = new byte[] { 0x82, 127, 0, 0, 0, 0, 0xC0, 0, 0, 0 };
        var tracker = new WebSocketFrameBoundary();

        tracker.Advance(header);
        Assert.False(tracker.AtBoundary);
        var chunk = new byte[1 << 20];
        for (int i = 0; i < 3 * 1024 - 1; i++)
        {
            tracker.Advance(chunk);
        }

        Assert.False(tracker.AtBoundary);
        tracker.Advance(chunk);
        Assert.True(tracker.AtBoundary);
    }

    [Fact]
    public void New_IsAtBoundary()
        => Assert.True(new WebSocketFrameBoundary().AtBoundary);
}
