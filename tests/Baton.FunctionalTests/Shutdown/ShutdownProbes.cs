using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Baton.Testing;
using Baton.FunctionalTests.Infrastructure;

namespace Baton.FunctionalTests.Shutdown;

/// <summary>
/// The shutdown tests run one at a time and alone: they measure milliseconds between a response
/// and a process exit, which a CPU shared with other Baton processes would blur.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ShutdownCollection
{
    public const string Name = "Shutdown";
}

/// <summary>Probes and clocks shared by the shutdown tests. Every wait has a deadline.</summary>
internal static class ShutdownProbes
{
    public static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A lifecycle option value as the config file takes it.</summary>
    public static string Duration(TimeSpan value) => value.ToString(@"hh\:mm\:ss\.fff", System.Globalization.CultureInfo.InvariantCulture);

    public static double Milliseconds(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    /// <summary>Completes with the <see cref="Stopwatch"/> timestamp at which the process was seen to exit. Call before it can exit.</summary>
    public static Task<long> ExitTimestamp(BatonProcess baton)
        => baton.Exited.ContinueWith(_ => Stopwatch.GetTimestamp(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Baton's <c>GET /status</c> on the admin listener.</summary>
    public static async Task<JsonElement> StatusAsync(BatonTestHost host)
    {
        using var admin = Clients.Http1(TimeSpan.FromSeconds(5));
        return await admin.GetFromJsonAsync<JsonElement>(new Uri(host.AdminUri, "status"));
    }

    /// <summary>
    /// Probes <c>/status</c> until <paramref name="requests"/> requests besides the probe itself are
    /// in flight (the proxied ones are running at the upstream).
    /// </summary>
    public static async Task WaitForInFlightAsync(BatonTestHost host, int requests)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(EventTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var status = await StatusAsync(host);
            // The admin listener has its own server: /status itself is not in flight.
            if (status.GetProperty("inFlight").GetInt32() >= requests)
            {
                return;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{requests} request(s) never were in flight at once; last /status: {status}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Opens a TCP connection; returns null when it was accepted, else the socket error.</summary>
    public static async Task<SocketError?> TryConnectAsync(Uri uri)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await socket.ConnectAsync(uri.Host, uri.Port, cts.Token);
            return null;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }
    }

    /// <summary>True when the exception (or an inner one) is a refused TCP connection.</summary>
    public static bool IsRefused(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Waits for an event like <see cref="BatonProcess.WaitForEventAsync"/>, except that the exit of
    /// the process does not cut the wait short: lines logged just before the exit may still be in
    /// the pipe when the exit is seen.
    /// </summary>
    public static async Task<LogEvent> EventAsync(BatonProcess baton, int eventId, Func<LogEvent, bool>? match = null)
    {
        try
        {
            return await baton.WaitForEventAsync(eventId, EventTimeout, match);
        }
        catch (TimeoutException) when (baton.Exited.IsCompleted)
        {
            bool Matches(LogEvent e) => e.EventId == eventId && (match is null || match(e));
            var deadline = Stopwatch.GetTimestamp() + 5 * Stopwatch.Frequency;
            while (!baton.Events.Any(Matches))
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw;
                }

                await Task.Delay(10);
            }

            return baton.Events.First(Matches);
        }
    }

    /// <summary>Waits for the exit and for the last line Baton logs (<c>ShutdownComplete</c>); returns the exit code.</summary>
    /// <remarks>After this, every line Baton logged has been read: absence checks are meaningful.</remarks>
    public static async Task<int> WaitForShutdownAsync(BatonProcess baton)
    {
        int exitCode = await baton.WaitForExitAsync(EventTimeout);
        await EventAsync(baton, Hosting.Diagnostics.BatonEventIds.ShutdownComplete);
        return exitCode;
    }
}
