// The "plain YARP" baseline: what a user following YARP's getting-started page would run.
// Usage: plainyarp --urls http://127.0.0.1:PORT --config FILE   (FILE holds the ReverseProxy section)
var builder = WebApplication.CreateBuilder(args);
var config = builder.Configuration["config"];
if (config is not null)
{
    builder.Configuration.AddJsonFile(Path.GetFullPath(config), optional: false, reloadOnChange: false);
}

builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));

var app = builder.Build();
app.MapReverseProxy();
app.Run();
