using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Baton.Testing;

/// <summary>
/// A real Baton process started with <c>run --log-format json</c>: its log is read line by line
/// so callers wait on events (by id) instead of sleeping.
/// </summary>
public sealed class BatonProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<LogEvent> _events = new();
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _accessLines = new();
    private readonly object _gate = new();
    private readonly List<(Func<LogEvent, bool> Match, TaskCompletionSource<LogEvent> Done)> _waiters = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _arguments;
    private int _closedStreams;

    private BatonProcess(Process process)
    {
        _process = process;
        _arguments = string.Concat(process.StartInfo.ArgumentList.Select(a => a + "\0"));
    }

    public int Pid => _process.Id;

    public IEnumerable<LogEvent> Events => _events;

    /// <summary>The JSON access-log lines on stdout (JSON objects without an <c>EventId</c>).</summary>
    public IEnumerable<string> AccessLines => _accessLines;

    /// <summary>Every stdout and stderr line, for diagnostics.</summary>
    public IEnumerable<string> Output => _lines;

    public Task<int> Exited => _exited.Task;

    /// <summary>True once this process reported that a new generation took over its listeners.</summary>
    public bool HandedOff => _events.Any(e => e.EventId == Hosting.Diagnostics.BatonEventIds.UpgradeReady && e.Get("OldPid") == Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// The runtime option (runtimeconfig.json) naming the Baton executable that processes started
    /// without a directory run: the test projects set it to the native executable, so what ships
    /// is what is tested.
    /// </summary>
    public const string ExecutableOption = "Baton.Executable";

    /// <summary>
    /// The command that starts Baton: with no <paramref name="directory"/>, the executable named by
    /// <see cref="ExecutableOption"/> if set (it must exist), else this build's own; in a directory,
    /// the apphost there, or <c>dotnet baton.dll</c>.
    /// </summary>
    public static (string File, string[] Prefix) Command(string? directory = null)
    {
        if (directory is null && AppContext.GetData(ExecutableOption) is string { Length: > 0 } configured)
        {
            return File.Exists(configured)
                ? (configured, [])
                : throw new FileNotFoundException($"the Baton executable {configured} (runtime option {ExecutableOption}) does not exist: run eng/publish-native.sh", configured);
        }

        directory ??= AppContext.BaseDirectory;
        var apphost = Path.Combine(directory, "baton");
        if (File.Exists(apphost))
        {
            return (apphost, []);
        }

        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return (dotnet, ["exec", Path.Combine(directory, "baton.dll")]);
    }

    /// <summary>How to start this Baton build with <paramref name="args"/>, stdout and stderr redirected.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IDictionary<string, string>? environment = null, string? directory = null)
    {
        var (file, prefix) = Command(directory);
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in prefix.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        return psi;
    }

    public static BatonProcess Start(IEnumerable<string> args, IDictionary<string, string>? environment = null, string? directory = null)
        => Start(StartInfo(args, environment, directory));

    /// <summary>Starts <paramref name="psi"/> (stdout and stderr redirected), e.g. an installed baton under another user.</summary>
    public static BatonProcess Start(ProcessStartInfo psi)
    {
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var baton = new BatonProcess(process);
        process.OutputDataReceived += (_, e) => baton.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => baton.OnLine(e.Data);
        process.Exited += (_, _) => baton.OnExited();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return baton;
    }

    /// <summary>Waits for the first event (past or future) with this id that matches.</summary>
    public Task<LogEvent> WaitForEventAsync(int eventId, TimeSpan timeout, Func<LogEvent, bool>? match = null)
    {
        bool Matches(LogEvent e) => e.EventId == eventId && (match is null || match(e));
        TaskCompletionSource<LogEvent> tcs;
        lock (_gate)
        {
            var seen = _events.FirstOrDefault(Matches);
            if (seen is not null)
            {
                return Task.FromResult(seen);
            }

            tcs = new TaskCompletionSource<LogEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((Matches, tcs));
        }

        return WithTimeout(tcs.Task, timeout, $"event {eventId}");
    }

    private async Task<LogEvent> WithTimeout(Task<LogEvent> task, TimeSpan timeout, string what)
    {
        var deadline = Task.Delay(timeout);
        var winner = await Task.WhenAny(task, Exited, deadline).ConfigureAwait(false);
        if (winner == Exited)
        {
            // The last lines may still be in the pipe: read them before deciding. Once this process
            // handed its listeners to a new generation, its exit is expected: later generations
            // write to the same stdout and keep the event stream going.
            await Task.WhenAny(task, _outputClosed.Task, Task.Delay(2000)).ConfigureAwait(false);
            winner = task.IsCompleted ? task : HandedOff ? await Task.WhenAny(task, deadline).ConfigureAwait(false) : Exited;
        }

        if (winner == task)
        {
            return await task.ConfigureAwait(false);
        }

        var reason = winner == Exited ? $"Baton pid {Pid} exited with {await Exited.ConfigureAwait(false)}" : $"timed out after {timeout}";
        throw new TimeoutException($"waiting for {what}: {reason}. Output:\n{string.Join('\n', _lines.TakeLast(60))}");
    }

    public bool Signal(int signal) => Signals.Send(Pid, signal);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        var winner = await Task.WhenAny(Exited, Task.Delay(timeout)).ConfigureAwait(false);
        if (winner != Exited)
        {
            throw new TimeoutException($"Baton pid {Pid} did not exit within {timeout}. Output:\n{string.Join('\n', _lines.TakeLast(60))}");
        }

        // The last lines may still be in the pipe: read them before the caller looks at Output
        // (bounded: a new generation this one started keeps the pipe open).
        await Task.WhenAny(_outputClosed.Task, Task.Delay(2000)).ConfigureAwait(false);
        return await Exited.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // Generations this process started (an upgrade re-executes Baton with the same arguments,
        // and the new one logs to the same stdout) outlive it: a test that upgraded and did not
        // stop the new generation would leave it running, listening, for ever.
        if (!_process.HasExited)
        {
            Signals.Send(Pid, Signals.SIGKILL);
            await Task.WhenAny(Exited, Task.Delay(5000)).ConfigureAwait(false);
        }

        foreach (var e in _events.Where(e => e.EventId == Hosting.Diagnostics.BatonEventIds.UpgradeReady))
        {
            // Only a process still running this one's arguments (its unique config path), so a
            // reused pid is never hit.
            if (int.TryParse(e.Get("NewPid"), System.Globalization.CultureInfo.InvariantCulture, out var pid) && ArgumentsOf(pid) == _arguments)
            {
                Signals.Send(pid, Signals.SIGKILL);
            }
        }

        _process.Dispose();
    }

    /// <summary>argv[1..] of a running process, NUL-separated (argv[0] differs with how the file was named).</summary>
    private static string? ArgumentsOf(int pid)
    {
        try
        {
            var argv = File.ReadAllText($"/proc/{pid}/cmdline");
            int first = argv.IndexOf('\0', StringComparison.Ordinal);
            return first < 0 ? null : argv[(first + 1)..];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void OnExited()
    {
        // Not WaitForExit(): processes this one started (new generations) share its stdout, so
        // the pipe stays open after this process exits.
        _exited.TrySetResult(_process.ExitCode);
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            if (Interlocked.Increment(ref _closedStreams) == 2)
            {
                _outputClosed.TrySetResult();
            }

            return;
        }

        _lines.Enqueue(line);
        if (!line.StartsWith('{'))
        {
            return;
        }

        LogEvent e;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (!root.TryGetProperty("EventId", out var eventId))
            {
                _accessLines.Enqueue(line);
                return;
            }

            e = new LogEvent(
                eventId.GetInt32(),
                root.GetProperty("LogLevel").GetString() ?? "",
                root.GetProperty("Message").GetString() ?? "",
                root.TryGetProperty("State", out var state) ? state.Clone() : default,
                DateTimeOffset.UtcNow,
                root.TryGetProperty("Timestamp", out var ts) && ts.TryGetDateTimeOffset(out var t) ? t : DateTimeOffset.UtcNow);
        }
        catch (JsonException)
        {
            return;
        }

        lock (_gate)
        {
            _events.Enqueue(e);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(e))
                {
                    _waiters[i].Done.TrySetResult(e);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
