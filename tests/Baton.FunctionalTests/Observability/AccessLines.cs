using System.Text.Json;
using Baton.Testing;

namespace Baton.FunctionalTests.Observability;

/// <summary>Waits for Baton's JSON access-log lines on stdout (written off the request path, so shortly after the response).</summary>
internal static class AccessLines
{
    public static async Task<List<JsonElement>> WaitAsync(BatonProcess baton, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var lines = baton.AccessLines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
            if (lines.Count >= count)
            {
                return lines;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{lines.Count} access-log line(s), expected {count}. Output:\n{string.Join('\n', baton.Output.TakeLast(40))}");
            }

            await Task.Delay(20);
        }
    }

    public static string? Text(this JsonElement line, string field)
        => line.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? v.ToString() : null;
}
