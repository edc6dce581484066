using System.Net;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Upstreams;

/// <summary>An upload whose first <c>head</c> bytes go at once and the rest only after <see cref="Release"/>.</summary>
internal sealed class GatedUpload(byte[] payload, int head) : HttpContent
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _released.TrySetResult();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(payload.AsMemory(0, head));
        await stream.FlushAsync();
        await _released.Task.WaitAsync(BatonTestHost.Timeout);
        await stream.WriteAsync(payload.AsMemory(head));
    }

    protected override bool TryComputeLength(out long length)
    {
        length = payload.Length;
        return true;
    }
}
