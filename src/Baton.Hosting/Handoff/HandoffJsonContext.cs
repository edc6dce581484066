using System.Text.Json.Serialization;

namespace Baton.Hosting.Handoff;

/// <summary>
/// The handoff protocol's serializer, generated at compile time: no reflection, so the native
/// (AOT) executable encodes and decodes exactly what the JIT build does.
/// </summary>
[JsonSerializable(typeof(HandoffMessage))]
internal sealed partial class HandoffJsonContext : JsonSerializerContext;
