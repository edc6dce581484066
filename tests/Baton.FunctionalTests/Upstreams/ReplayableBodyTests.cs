using Baton.Upstreams;

namespace Baton.FunctionalTests.Upstreams;

/// <summary>The request body Baton keeps for a retry: the head, the tail, and the rebuild from a hand-back.</summary>
public class ReplayableBodyTests
{
    private static byte[] Data(int n)
    {
        var data = new byte[n];
        new Random(n).NextBytes(data);
        return data;
    }

    private static async Task<byte[]> ReadAsync(Stream s, int max = int.MaxValue, int chunk = 1000)
    {
        var result = new MemoryStream();
        var buffer = new byte[chunk];
        int n;
        while (result.Length < max && (n = await s.ReadAsync(buffer.AsMemory(0, (int)Math.Min(chunk, max - result.Length)))) > 0)
        {
            result.Write(buffer, 0, n);
        }

        return result.ToArray();
    }

    [Fact]
    public async Task Rewind_WithinTheHead_ServesTheSameBytesAgainThenTheRest()
    {
        var data = Data(5000);
        using var body = new ReplayableBody(new MemoryStream(data), bufferBytes: 4096, windowBytes: 0);
        var first = await ReadAsync(body, max: 3000);

        Assert.True(body.Rewind());
        Assert.Equal(data, await ReadAsync(body));
        Assert.Equal(data.Take(3000), first);
    }

    [Fact]
    public async Task Rewind_PastTheHead_IsRefused()
    {
        using var body = new ReplayableBody(new MemoryStream(Data(5000)), bufferBytes: 4096, windowBytes: 0);
        await ReadAsync(body, max: 4500);

        Assert.True(body.Overflowed);
        Assert.False(body.Rewind());
    }

    [Fact]
    public async Task HandBack_RebuildsFromTheAppsBytesAndTheTail()
    {
        var data = Data(50_000);
        using var body = new ReplayableBody(new MemoryStream(data), bufferBytes: 4096, windowBytes: 8192);
        await ReadAsync(body, max: 30_000);

        // The app got the first 25,000 bytes; Baton's tail holds 21,808..30,000.
        Assert.Null(body.TryHandBack(data.AsSpan(0, 25_000)));
        Assert.Equal(data, await ReadAsync(body));
        Assert.NotNull(body.TryHandBack(data.AsSpan(0, 100))); // never twice
    }

    [Fact]
    public async Task HandBack_WithAGapBatonNoLongerHolds_IsRefused()
    {
        var data = Data(50_000);
        using var body = new ReplayableBody(new MemoryStream(data), bufferBytes: 4096, windowBytes: 8192);
        await ReadAsync(body, max: 30_000);

        var why = body.TryHandBack(data.AsSpan(0, 10_000));
        Assert.Contains("Baton keeps bytes from 21808 of 30000", why);
    }

    [Fact]
    public async Task HandBack_WithBytesThatDifferFromWhatWasSent_IsRefused()
    {
        var data = Data(50_000);
        using var body = new ReplayableBody(new MemoryStream(data), bufferBytes: 4096, windowBytes: 8192);
        await ReadAsync(body, max: 30_000);
        var returned = data.AsSpan(0, 25_000).ToArray();
        returned[22_000] ^= 0xFF;

        Assert.Contains("differ from what Baton sent at offset 22000", body.TryHandBack(returned));
    }

    [Fact]
    public async Task HandBack_OfMoreThanWasSent_IsRefused()
    {
        var data = Data(10_000);
        using var body = new ReplayableBody(new MemoryStream(data), bufferBytes: 4096, windowBytes: 8192);
        await ReadAsync(body, max: 2_000);

        Assert.Contains("returned 3000 body bytes but Baton had sent only 2000", body.TryHandBack(data.AsSpan(0, 3_000)));
    }

    [Fact]
    public async Task RefusalWithNoBytes_OfABodyWithinHeadAndTail_IsRebuiltWhole()
    {
        var data = Data(12_000);
        using var body = new ReplayableBody(new MemoryStream(data), bufferBytes: 4096, windowBytes: 8192);
        await ReadAsync(body);

        Assert.Null(body.TryHandBack([]));
        Assert.Equal(data, await ReadAsync(body));
    }
}
