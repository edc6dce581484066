using Baton.Cli;

return await BatonCommandLine.InvokeAsync(args);
