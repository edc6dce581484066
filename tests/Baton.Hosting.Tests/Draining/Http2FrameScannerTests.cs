using System.Buffers.Binary;
using Baton.Hosting.Draining;

namespace Baton.Hosting.Tests.Draining;

public class Http2FrameScannerTests
{
    private static byte[] Frame(byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        return frame;
    }

    [Fact]
    public void Scan_ClientBytesOneByteAtATime_ReportsEveryFrameAndTheGoAwaysLastStreamId()
    {
        var goAway = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(goAway, int.MaxValue);
        byte[] bytes = [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, .. Frame(0x4, 0, 0, []), .. Frame(0x1, 0x5, 1, [0x82, 0x86]),
            .. Frame(0x0, 0x1, 1, [1, 2, 3]), .. Frame(0x7, 0, 0, goAway)];
        var frames = new List<Http2FrameScanner.Frame>();
        var scanner = new Http2FrameScanner(expectPreface: true, frames.Add);

        foreach (var b in bytes)
        {
            scanner.Scan([b]);
        }

        Assert.True(scanner.IsHttp2);
        Assert.True(scanner.AtBoundary);
        Assert.Equal([0x4, 0x1, 0x0, 0x7], frames.Select(f => f.Type));
        Assert.Equal(1, frames[1].StreamId);
        Assert.Equal(0x5, frames[1].Flags);
        Assert.Equal(int.MaxValue, (int)(frames[3].Payload8 >> 32));
    }

    [Fact]
    public void Scan_Http11Request_TurnsItselfOff()
    {
        var scanner = new Http2FrameScanner(expectPreface: true, _ => Assert.Fail("no frame in HTTP/1.1"));

        scanner.Scan("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8);

        Assert.False(scanner.Active);
        Assert.False(scanner.IsHttp2);
    }
}
