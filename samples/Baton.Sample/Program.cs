// A minimal API behind Baton, using Baton.Hosting's public API alone. From the calls marked
// (1)–(3) it gets: SIGTERM → readiness 503 for the grace period → drain → exit 0; zero-downtime
// upgrade — SIGQUIT starts this command line again, hands the listening socket to the new process
// and drains once that one is ready (a new process that fails leaves this one serving); and the
// app side of lossless deploys: while it drains, responses carry the drain marker, requests it has
// not started are refused as "not processed" and HTTP/2 uploads still arriving at the drain
// deadline are handed back to Baton, which replays them elsewhere.
//
//   dotnet Baton.Sample.dll --port 5000 [--name a] [--h2c] [--grace 00:00:01] [--drain 00:00:10] [--pid-file PATH] [--log-format json]
using System.Net;
using System.Security.Cryptography;
using Baton.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

var options = SampleOptions.Parse(args);

// Every generation of an upgrade writes to the stdout it inherited. .NET's Console.Out flushes every
// 256 characters, so a longer log line takes several write(2) calls, and the lines of the old and the
// new process interleave mid-line while both log. A buffer larger than any line, with AutoFlush, makes
// each line one write(2), which a pipe keeps whole (up to PIPE_BUF); Baton itself does the same.
Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 64 * 1024) { AutoFlush = true });
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
if (options.JsonLogs)
{
    builder.Logging.AddJsonConsole(); // one JSON object per line, with EventId (as `baton run --log-format json`)
}
else
{
    builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
}

// (1) The lifecycle: signals, grace period, drain.
builder.Services.AddBatonLifecycle(o =>
{
    o.ShutdownGracePeriod = options.Grace;
    o.DrainTimeout = options.Drain;
    o.PidFile = options.PidFile;
    o.EnableZeroDowntime = true;
});

// (2) Zero-downtime upgrade: the endpoint below is handed to the new process on SIGQUIT.
builder.Services.AddBatonUpgrades();
builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port,
    lo => lo.Protocols = options.H2c ? HttpProtocols.Http2 : HttpProtocols.Http1));

var app = builder.Build();
app.UseBatonLifecycle(); // (3) first in the pipeline

app.MapGet("/", () => $"hello from {options.Name}\n");
app.MapGet("/whoami", () => options.Name);
app.MapPost("/echo", async (HttpRequest request) =>
{
    using var body = new MemoryStream();
    await request.Body.CopyToAsync(body);
    return Results.Bytes(body.ToArray(), "application/octet-stream");
});

// Reads the whole upload and answers "<name> <bytes> <sha256>".
app.MapPost("/upload", async (HttpRequest request, ILogger<SampleOptions> log) =>
{
    log.LogInformation("Upload started on {Name}", options.Name);
    using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    var buffer = new byte[16 * 1024];
    long total = 0;
    int n;
    while ((n = await request.Body.ReadAsync(buffer)) > 0)
    {
        sha.AppendData(buffer, 0, n);
        total += n;
    }

    return Results.Text($"{options.Name} {total} {Convert.ToHexString(sha.GetHashAndReset())}\n");
});

app.Lifetime.ApplicationStarted.Register(() =>
{
    app.Logger.LogInformation("Sample {Name} listening on 127.0.0.1:{Port} ({Protocol})", options.Name, options.Port, options.H2c ? "h2c" : "HTTP/1.1");
});
await app.RunAsync();

/// <summary>The sample's command line.</summary>
internal sealed record SampleOptions(int Port, string Name, bool H2c, TimeSpan Grace, TimeSpan Drain, string? PidFile, bool JsonLogs)
{
    public static SampleOptions Parse(string[] args)
    {
        string? Value(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        return new SampleOptions(
            int.Parse(Value("--port") ?? "5000", System.Globalization.CultureInfo.InvariantCulture),
            Value("--name") ?? "sample",
            args.Contains("--h2c"),
            TimeSpan.Parse(Value("--grace") ?? "00:00:01", System.Globalization.CultureInfo.InvariantCulture),
            TimeSpan.Parse(Value("--drain") ?? "00:00:10", System.Globalization.CultureInfo.InvariantCulture),
            Value("--pid-file"),
            Value("--log-format") == "json");
    }
}
