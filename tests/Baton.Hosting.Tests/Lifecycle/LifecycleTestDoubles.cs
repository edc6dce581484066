using System.Collections.Concurrent;
using Baton.Hosting.Lifecycle;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Baton.Hosting.Tests.Lifecycle;

/// <summary>One log event as a <see cref="RecordingLogger{T}"/> saw it.</summary>
public sealed record LoggedEvent(int Id, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> State)
{
    public object? this[string key] => State.TryGetValue(key, out var v) ? v : null;
}

/// <summary>Records every event, in one list shared by all categories, and lets tests wait on an id.</summary>
public sealed class EventLog
{
    private readonly object _gate = new();
    private readonly List<LoggedEvent> _events = new();
    private readonly List<(int Id, Func<LoggedEvent, bool> Match, TaskCompletionSource<LoggedEvent> Done)> _waiters = new();

    public IReadOnlyList<LoggedEvent> Events
    {
        get { lock (_gate) { return _events.ToArray(); } }
    }

    public ILogger<T> For<T>() => new RecordingLogger<T>(this);

    /// <summary>The first event (past or future) with this id.</summary>
    public Task<LoggedEvent> WaitForAsync(int id) => WaitForAsync(id, _ => true);

    /// <summary>The first event (past or future) with this id that matches.</summary>
    public Task<LoggedEvent> WaitForAsync(int id, Func<LoggedEvent, bool> match)
    {
        lock (_gate)
        {
            if (_events.FirstOrDefault(e => e.Id == id && match(e)) is { } seen)
            {
                return Task.FromResult(seen);
            }

            var tcs = new TaskCompletionSource<LoggedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((id, match, tcs));
            return tcs.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    internal void Add(LoggedEvent e)
    {
        lock (_gate)
        {
            _events.Add(e);
            foreach (var w in _waiters.Where(w => w.Id == e.Id && w.Match(e)).ToArray())
            {
                w.Done.TrySetResult(e);
                _waiters.Remove(w);
            }
        }
    }
}

public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly EventLog _log;

    public RecordingLogger(EventLog log) => _log = log;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value)
            : new Dictionary<string, object?>();
        _log.Add(new LoggedEvent(eventId.Id, logLevel, formatter(state, exception), values));
    }
}

/// <summary>An <see cref="IHostApplicationLifetime"/> that only records <see cref="StopApplication"/>.</summary>
public sealed class FakeApplicationLifetime : IHostApplicationLifetime
{
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stopCalls;

    public CancellationToken ApplicationStarted => CancellationToken.None;

    public CancellationToken ApplicationStopping => CancellationToken.None;

    public CancellationToken ApplicationStopped => CancellationToken.None;

    public int StopCalls => Volatile.Read(ref _stopCalls);

    /// <summary>Completes at the first <see cref="StopApplication"/>.</summary>
    public Task StopRequested => _stopped.Task;

    public void StopApplication()
    {
        Interlocked.Increment(ref _stopCalls);
        _stopped.TrySetResult();
    }
}

/// <summary>The lifecycle objects wired as <c>AddBatonLifecycle</c> wires them, on a <see cref="FakeTimeProvider"/>.</summary>
internal sealed class LifecycleRig
{
    public LifecycleRig(LifecycleOptions? options = null, Action<IServiceCollection>? services = null)
    {
        Options = options ?? new LifecycleOptions();
        var collection = new ServiceCollection();
        services?.Invoke(collection);
        State = new LifecycleState(Time, Log.For<LifecycleState>());
        Shutdown = new ShutdownCoordinator(State, Lifetime, collection.BuildServiceProvider(),
            Microsoft.Extensions.Options.Options.Create(Options), Time, Log.For<ShutdownCoordinator>());
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public EventLog Log { get; } = new();

    public FakeApplicationLifetime Lifetime { get; } = new();

    public LifecycleOptions Options { get; }

    public LifecycleState State { get; }

    public ShutdownCoordinator Shutdown { get; }

    public IOptions<LifecycleOptions> WrappedOptions => Microsoft.Extensions.Options.Options.Create(Options);

    /// <summary>Moves the rig to <see cref="LifecyclePhase.Running"/>, as the host does once listening.</summary>
    public LifecycleRig Running()
    {
        Assert.Equal(LifecycleAction.None, State.Fire(LifecycleTrigger.Listening, "test")?.Action);
        return this;
    }
}
