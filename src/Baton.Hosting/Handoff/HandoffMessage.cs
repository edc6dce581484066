using System.Text.Json;
using System.Text.Json.Serialization;

namespace Baton.Hosting.Handoff;

/// <summary>
/// One message of the handoff protocol: a JSON object on one line, sent over a connected Unix
/// stream socket. The <c>listeners</c> message carries the listening fds with SCM_RIGHTS, in the
/// order of <see cref="Keys"/>. See docs/upgrade.md for the steps.
/// </summary>
internal sealed record HandoffMessage
{
    public const string Hello = "hello";
    public const string Listeners = "listeners";
    public const string Ready = "ready";
    public const string Failed = "failed";
    public const string Ack = "ack";
    public const string Refused = "refused";

    /// <summary>
    /// New → old process, over the upgrade socket, at once on receipt of the listeners: the first
    /// sign of progress, due within <c>UpgradeCoordinator.FirstProgressTimeout</c>; a peer that
    /// stays silent is stopped and the upgrade rolled back, so it cannot hold the upgrade slot.
    /// </summary>
    public const string Received = "received";

    /// <summary>Any → old process, on the upgrade socket: only checking who listens (a starting instance); closed without a warning.</summary>
    public const string Probe = "probe";

    /// <summary>Supervisor → worker: a new worker serves; stop accepting and drain.</summary>
    public const string Drain = "drain";

    /// <summary>Worker → supervisor: please upgrade (SIGQUIT or <c>baton upgrade</c> reached the worker).</summary>
    public const string Upgrade = "upgrade";

    /// <summary>
    /// Worker → supervisor: this worker began a stop of the service (SIGTERM to it, or preStop):
    /// the supervisor stops too, instead of replacing the worker when it exits.
    /// </summary>
    public const string Stopping = "stopping";

    /// <summary>Supervisor → worker: the outcome of the upgrade it asked for.</summary>
    public const string Result = "result";

    /// <summary>The protocol version; a peer with another version is refused.</summary>
    public const int CurrentVersion = 1;

    // Type and Version have setters, not init: the source-generated deserializer sets every init
    // property, missing ones to default, which would turn a message without "version" into 0.
    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    [JsonPropertyName("version")]
    public int Version { get; set; } = CurrentVersion;

    [JsonPropertyName("pid")]
    public int Pid { get; init; }

    [JsonPropertyName("keys")]
    public string[]? Keys { get; init; }

    /// <summary>Older generations still draining (the old process and its own predecessors).</summary>
    [JsonPropertyName("draining")]
    public int[]? DrainingPids { get; init; }

    [JsonPropertyName("generation")]
    public int Generation { get; init; }

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    /// <summary>For <see cref="Result"/>: whether the upgrade succeeded.</summary>
    [JsonPropertyName("ok")]
    public bool Succeeded { get; init; }

    /// <summary>For <see cref="Result"/>: the upgrade was refused before anything started.</summary>
    [JsonPropertyName("refused")]
    public bool IsRefusal { get; init; }

    /// <summary>The largest message accepted; anything longer is garbage.</summary>
    public const int MaxLength = 16 * 1024;

    public byte[] Encode() => [.. JsonSerializer.SerializeToUtf8Bytes(this, HandoffJsonContext.Default.HandoffMessage), (byte)'\n'];

    /// <summary>Parses one line; returns null (never throws) for anything that is not a message of this protocol.</summary>
    public static HandoffMessage? TryDecode(ReadOnlySpan<byte> line, out string error)
    {
        error = "";
        try
        {
            var message = JsonSerializer.Deserialize(line, HandoffJsonContext.Default.HandoffMessage);
            if (message is null || message.Type is not (Hello or Listeners or Received or Probe or Ready or Failed or Ack or Refused or Drain or Upgrade or Result or Stopping))
            {
                error = "not a handoff message (unknown or missing \"type\")";
                return null;
            }

            if (message.Version != CurrentVersion)
            {
                error = $"protocol version {message.Version}, expected {CurrentVersion}";
                return null;
            }

            return message;
        }
        catch (JsonException ex)
        {
            error = $"not JSON: {ex.Message.Split('.')[0]}";
            return null;
        }
    }
}
