using System.Text;
using Baton.Cli;

// Every generation of an upgrade (and a supervisor's workers) writes to the same stdout. The console
// logger writes one entry per Write call; with a buffer larger than any entry and AutoFlush, that is
// one write(2) per log line, which a pipe keeps whole (atomic up to PIPE_BUF), so lines from two
// processes never interleave mid-line.
Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 64 * 1024) { AutoFlush = true });

return await BatonCommandLine.InvokeAsync(args);
