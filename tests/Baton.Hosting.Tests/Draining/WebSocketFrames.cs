using System.Buffers.Binary;

namespace Baton.Hosting.Tests.Draining;

/// <summary>Builds WebSocket frames (RFC 6455 §5.2) for the frame-boundary tests.</summary>
internal static class WebSocketFrames
{
    /// <summary>A frame with <paramref name="payloadLength"/> bytes, in the smallest length encoding unless <paramref name="forceLengthBytes"/> says otherwise.</summary>
    public static byte[] Frame(byte opcode, int payloadLength, bool masked = false, bool fin = true, int? forceLengthBytes = null)
    {
        int lengthBytes = forceLengthBytes ?? (payloadLength < 126 ? 0 : payloadLength <= ushort.MaxValue ? 2 : 8);
        var frame = new byte[2 + lengthBytes + (masked ? 4 : 0) + payloadLength];
        frame[0] = (byte)((fin ? 0x80 : 0) | opcode);
        frame[1] = (byte)((masked ? 0x80 : 0) | lengthBytes switch { 0 => payloadLength, 2 => 126, _ => 127 });
        if (lengthBytes == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payloadLength);
        }
        else if (lengthBytes == 8)
        {
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payloadLength);
        }

        int offset = 2 + lengthBytes;
        if (masked)
        {
            // A mask key and a payload that look like frame headers: the parser must not read into them.
            frame[offset] = 0x88;
            frame[offset + 1] = 0xFF;
            frame[offset + 2] = 0x7F;
            frame[offset + 3] = 0x7E;
            offset += 4;
        }

        for (int i = offset; i < frame.Length; i++)
        {
            frame[i] = (byte)(0x7E + (i % 3));
        }

        return frame;
    }

    /// <summary>The frames back to back, and the offsets at which one frame ends (the stream's boundaries, 0 included).</summary>
    public static (byte[] Bytes, HashSet<int> Boundaries) Concat(params byte[][] frames)
    {
        var boundaries = new HashSet<int> { 0 };
        var bytes = new List<byte>();
        foreach (var f in frames)
        {
            bytes.AddRange(f);
            boundaries.Add(bytes.Count);
        }

        return (bytes.ToArray(), boundaries);
    }
}
