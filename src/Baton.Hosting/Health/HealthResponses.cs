namespace Baton.Hosting.Health;

/// <summary>The exact JSON bodies of the health endpoints, encoded once.</summary>
internal static class HealthResponses
{
    public static readonly byte[] Alive = """{"status":"alive"}"""u8.ToArray();
    public static readonly byte[] Ready = """{"status":"ready"}"""u8.ToArray();
    public static readonly byte[] NotReady = """{"status":"not_ready"}"""u8.ToArray();
    public static readonly byte[] Healthy = """{"status":"healthy"}"""u8.ToArray();
    public static readonly byte[] ShuttingDown = """{"status":"shutting_down"}"""u8.ToArray();
}
