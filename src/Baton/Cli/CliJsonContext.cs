using System.Text.Json.Serialization;
using Baton.Hosting.Lifecycle;

namespace Baton.Cli;

/// <summary>
/// What <c>baton check</c> and <c>baton demo --json</c> print (indented), generated at compile
/// time for the native executable. Every type that appears as an <c>object</c> value is listed:
/// the serializer resolves a value's runtime type here, never by reflection.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(Dictionary<string, object?>[]))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, object?>>))]
[JsonSerializable(typeof(Dictionary<string, string?[]>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(LifecycleOptions))]
[JsonSerializable(typeof(Baton.Limits.LimitsSettings))]
[JsonSerializable(typeof(Baton.Observability.AccessLog.AccessLogOptions))]
[JsonSerializable(typeof(Baton.Observability.TelemetryOptions))]
[JsonSerializable(typeof(Baton.Proxy.MemorySettings))]
[JsonSerializable(typeof(Baton.Proxy.RuntimeSettings))]
[JsonSerializable(typeof(Baton.Policies.RoutePolicies))]
[JsonSerializable(typeof(Baton.Upstreams.UpstreamPolicy))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, Baton.Upstreams.UpstreamPolicy>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
