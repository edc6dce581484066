using System.Text.Json;

namespace Baton.Testing;

/// <summary>One line of Baton's JSON log.</summary>
public sealed record LogEvent(int EventId, string Level, string Message, JsonElement State, DateTimeOffset Received, DateTimeOffset Timestamp)
{
    public string? Get(string key) => State.ValueKind == JsonValueKind.Object && State.TryGetProperty(key, out var v) ? v.ToString() : null;
}
