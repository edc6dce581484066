using System.CommandLine;
using Baton.Configuration;
using Baton.Demo;
using Baton.Hosting.Lifecycle;
using Baton.Proxy;

namespace Baton.Cli;

/// <summary>
/// <c>baton run | check | demo | upgrade | prestop | status</c>. Usage errors exit 2. Signals are
/// Baton's own (<see cref="BatonHostLifetime"/>): System.CommandLine's process-termination
/// handling is turned off so that SIGTERM means a graceful drain, not a 2-second cancel.
/// </summary>
public static class BatonCommandLine
{
    public static async Task<int> InvokeAsync(string[] args)
    {
        var root = Build();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                Console.Error.WriteLine($"baton: {error.Message}");
            }

            Console.Error.WriteLine("baton: see 'baton --help'");
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }

    private static RootCommand Build()
    {
        var config = new Option<string>("--config", "-c") { Description = "The JSON config file.", Required = true };
        var logFormat = new Option<string>("--log-format") { Description = "Log format: simple (one line per event) or json.", DefaultValueFactory = _ => "simple" };
        logFormat.AcceptOnlyFromAmong("simple", "json");
        var upgrade = new Option<bool>("--upgrade") { Description = "Take the listeners over from the running Baton on Lifecycle:SocketPath, then report ready to it." };

        var supervise = new Option<bool>("--supervise") { Description = "Run as a supervisor that owns the listeners and restarts or upgrades a serving worker under it; the default as PID 1 (a container)." };
        var run = new Command("run", "Run the proxy.") { config, logFormat, upgrade, supervise };
        run.SetAction((p, _) => ProxyHost.RunAsync(new RunOptions(p.GetValue(config)!, p.GetValue(logFormat) == "json", p.GetValue(upgrade), p.GetValue(supervise))));

        var checkConfig = new Option<string>("--config", "-c") { Description = "The JSON config file.", Required = true };
        var check = new Command("check", "Validate a config file and print the effective configuration.") { checkConfig };
        check.SetAction((p, _) => CheckCommand.RunAsync(p.GetValue(checkConfig)!));

        var duration = new Option<TimeSpan>("--duration") { Description = "How long each load phase runs.", DefaultValueFactory = _ => TimeSpan.FromSeconds(3) };
        var upgrades = new Option<int>("--upgrades") { Description = "How many zero-downtime upgrades to run under load.", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON." };
        var demo = new Command("demo", "Start a built-in upstream and Baton in front of it, drive load through it, upgrade it, stop it, and count lost requests.") { duration, upgrades, json };
        demo.SetAction((p, ct) => DemoCommand.RunAsync(new DemoOptions(p.GetValue(duration), p.GetValue(upgrades), p.GetValue(json)), ct));

        var root = new RootCommand("Baton: a reverse proxy that loses no request to a shutdown, restart, upgrade or deploy. Linux only.")
        {
            run, check, demo,
        };
        foreach (var control in ControlCommands.Create())
        {
            root.Subcommands.Add(control);
        }

        return root;
    }
}
