using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Hosting.Lifecycle;

namespace Baton.Hosting.Health;

/// <summary>
/// The admin endpoints' JSON (web defaults: camelCase), generated at compile time for the native
/// executable. Every type that appears as an <c>object</c> value of a report is listed: the
/// serializer resolves a value's runtime type here, never by reflection.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(UpgradeResult))]
[JsonSerializable(typeof(Dictionary<string, object>))]
[JsonSerializable(typeof(Dictionary<string, object>[]))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
