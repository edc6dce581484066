using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Baton.Hosting.Draining;

/// <summary>
/// Lingering close (nginx's <c>lingering_close</c>) for HTTP/2 connections the drain closes.
/// Kestrel ends a gracefully closing HTTP/2 connection the moment its last stream completes: final
/// GOAWAY, then close. A busy client may already have sent its next HEADERS (the first GOAWAY
/// still allowed new streams); closing a socket with unread data makes the kernel send RST instead
/// of FIN, and the client's kernel then drops the final GOAWAY and responses it had not read yet —
/// the client sees "the server closed the connection" for a request it cannot safely retry. So
/// Kestrel's completion of the input is held back, and after Kestrel is done the input is read and
/// discarded until the client closes its side (it does at once: it got the final GOAWAY) or
/// <see cref="MaxLinger"/> passes; only then does Kestrel close the socket, with FIN.
/// </summary>
internal sealed class LingeringInput : PipeReader, IDuplexPipe
{
    /// <summary>The longest wait for the client's FIN after Kestrel finished the connection.</summary>
    public static readonly TimeSpan MaxLinger = TimeSpan.FromSeconds(1);

    private readonly IDuplexPipe _inner;
    private readonly PipeReader _input;
    private bool _completed;

    public LingeringInput(IDuplexPipe inner)
    {
        _inner = inner;
        _input = inner.Input;
    }

    PipeReader IDuplexPipe.Input => this;

    PipeWriter IDuplexPipe.Output => _inner.Output;

    public override void AdvanceTo(SequencePosition consumed) => _input.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _input.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => _input.CancelPendingRead();

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) => _input.ReadAsync(cancellationToken);

    public override bool TryRead(out ReadResult result) => _input.TryRead(out result);

    // Held back until FinishAsync: the server has not finished reading until the client closes.
    public override void Complete(Exception? exception = null) => _completed = true;

    /// <summary>After the connection's pipeline ended: linger if it asked for it, then complete the real input.</summary>
    public async Task FinishAsync(bool linger)
    {
        if (linger && _completed)
        {
            using var timeout = new CancellationTokenSource(MaxLinger);
            try
            {
                while (true)
                {
                    var result = await _input.ReadAsync(timeout.Token).ConfigureAwait(false);
                    _input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted || result.IsCanceled)
                    {
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException or InvalidOperationException)
            {
                // The client kept the connection open past MaxLinger, reset it, or the input was
                // already completed: close it now.
            }
        }

        await _input.CompleteAsync().ConfigureAwait(false);
    }
}
