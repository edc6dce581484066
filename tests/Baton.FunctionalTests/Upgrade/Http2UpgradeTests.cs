using System.Diagnostics;
using Baton.FunctionalTests.Infrastructure;
using Baton.Hosting.Diagnostics;
using Xunit.Abstractions;

namespace Baton.FunctionalTests.Upgrade;

/// <summary>
/// Issue 11, defect 17: h2c requests during upgrades on a busy machine. A stream the old process
/// accepted completes there; one it did not is refused by the GOAWAY's last stream id and retried
/// by the client; a connection the old process accepted but had not read yet is never answered with
/// a bare GOAWAY. One core is kept busy by the test itself for its duration, as CI machines often are.
/// </summary>
[Collection(UpgradeCollection.Name)]
public class Http2UpgradeTests
{
        private readonly ITestOutputHelper _output;

    public Http2UpgradeTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task ReExec_BusyClientsKeepOpeningStreamsUntilTheyReadGoAway_EveryStreamIsServedOrRefused()
    {
        using var busy = BusyCore.Start(TimeSpan.FromMinutes(3));
        await using var rig = await UpgradeRig.StartAsync();
        var outcomes = new List<StreamOutcome>();
        for (int round = 1; round <= Rounds; round++)
        {
            var clients = new List<Task<List<StreamOutcome>>>();
            for (int i = 0; i < Connections; i++)
            {
                // A client that reads the GOAWAY only 1.5 s after it arrived, as one on a busy machine
                // may: until then it keeps opening streams, which the first GOAWAY still allows.
                var h2 = await RawH2cConnection.ConnectAsync(rig.H2cUri, UpgradeRig.EventTimeout, goAwayStall: TimeSpan.FromMilliseconds(1500));
                clients.Add(KeepOpeningStreamsAsync(h2));
            }

            await rig.ReExecAsync();
            foreach (var client in clients)
            {
                outcomes.AddRange(await client);
            }
        }

        await rig.StopServingAsync();
        var failed = outcomes.Where(o => !o.Served && !o.Refused).ToList();
        _output.WriteLine($"{Rounds} upgrades x {Connections} busy h2c clients: {outcomes.Count} streams, {outcomes.Count(o => o.Served)} served, "
            + $"{outcomes.Count(o => o.Refused)} refused by the last stream id (the client retries those), {failed.Count} cut off; busy core spun {busy.Elapsed.TotalSeconds:0} s");
        Assert.True(failed.Count == 0, $"{failed.Count} stream(s) at or below the final GOAWAY's last stream id ended without a response: {string.Join("; ", failed.Take(5))}");
        Assert.DoesNotContain(rig.AllEvents, e => e.EventId is BatonEventIds.UpgradeRolledBack or BatonEventIds.NotAllRequestsDrained);
    }

    private const int Rounds = 3;
    private const int GapMs = 4;
    private const int Connections = 10;

    /// <summary>What one stream got: a 200, or a refusal (REFUSED_STREAM, or its id above the final GOAWAY's last stream id), or neither.</summary>
    private sealed record StreamOutcome(int StreamId, bool Served, bool Refused, string What)
    {
        public override string ToString() => $"stream {StreamId}: {What}";
    }

    // A new stream every few ms from the start until the client has read the first GOAWAY; then the
    // outcome of every stream, judged by the last GOAWAY (the connection's end).
    private static async Task<List<StreamOutcome>> KeepOpeningStreamsAsync(RawH2cConnection h2)
    {
        await using (h2)
        {
            var streams = new List<(int Id, Task<H2StreamResult> Result)>();
            for (int id = 1; !h2.GoAwayProcessed.IsCompleted && !h2.Closed.IsCompleted; id += 2)
            {
                streams.Add((id, h2.GetAsync(id, "/whoami")));
                await Task.Delay(GapMs);
            }

            var closed = await h2.Closed.WaitAsync(UpgradeRig.EventTimeout);
            var outcomes = new List<StreamOutcome>();
            if (h2.GoAways.Count == 0)
            {
                outcomes.Add(new StreamOutcome(0, false, false, $"the connection ended ({closed}) without a GOAWAY after {streams.Count} stream(s)"));
            }

            int last = h2.GoAways.LastOrDefault()?.LastStreamId ?? 0;
            foreach (var (id, result) in streams)
            {
                try
                {
                    var r = await result.WaitAsync(UpgradeRig.EventTimeout);
                    bool served = r.EndStream && r.Status == 200;
                    // REFUSED_STREAM (7): not processed, retried by clients as the GOAWAY's refusal is.
                    bool refused = !served && (id > last || r.ResetCode == 7);
                    outcomes.Add(new StreamOutcome(id, served, refused, served ? "200" : $"reset {r.ResetCode}, status {r.Status}, last stream id {last}"));
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
                {
                    outcomes.Add(new StreamOutcome(id, false, id > last, $"{ex.Message}; last stream id {last}, GOAWAYs {string.Join(", ", h2.GoAways.Select(g => g.LastStreamId))}"));
                }
            }

            return outcomes;
        }
    }

    /// <summary>Threads that spin (one per two cores, at least one) until disposed or <c>limit</c> passed.</summary>
    private sealed class BusyCore : IDisposable
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<Thread> _threads = new();
        private volatile bool _stop;

        private BusyCore(TimeSpan limit)
        {
            for (int i = 0; i < Math.Max(1, Environment.ProcessorCount / 2); i++)
            {
                var t = new Thread(() =>
                {
                    while (!_stop && _clock.Elapsed < limit)
                    {
                        Thread.SpinWait(1000);
                    }
                }) { IsBackground = true, Name = "busy core" };
                t.Start();
                _threads.Add(t);
            }
        }

        public TimeSpan Elapsed => _clock.Elapsed;

        public static BusyCore Start(TimeSpan limit) => new(limit);

        public void Dispose()
        {
            _stop = true;
            foreach (var t in _threads)
            {
                t.Join();
            }
        }
    }
}
