using System.Globalization;
using Qindex.Simulator;

namespace Qindex.Qumulo.Tests;

/// <summary>
/// Notify messages of any size over a real socket: the simulator's events-per-message option, the
/// client's reader with no fixed line limit, and its safety cap failing loudly.
/// </summary>
public sealed class NotifyMessageSizeTests
{
    private static readonly string[] FileAdded = ["child_file_added"];

    [Fact]
    public async Task One_event_per_message_sends_each_event_alone_and_in_order()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1, MaxEventsPerMessage = 1 });
        server.Cluster.CreateDirectory("/", "w");
        var batches = await CollectAsync(server, SimulatorHelpers.Connection(server), filter: null, expectedEvents: 10, () =>
        {
            for (int i = 0; i < 5; i++)
            {
                server.Cluster.CreateFile("/w/", "f" + i.ToString(CultureInfo.InvariantCulture));
            }
        });

        Assert.All(batches, b => Assert.Single(b));
        var events = batches.SelectMany(b => b).ToList();
        Assert.Equal(10, events.Count);
        Assert.Equal(
            Enumerable.Range(0, 5).SelectMany(i => new[] { ("child_file_added", $"/w/f{i}"), ("child_mtime_changed", "/w") }),
            events.Select(e => (e.Type, e.Path)));
    }

    [Fact]
    public async Task Five_thousand_events_arrive_in_one_message_far_above_128_KB()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1, MaxEventsPerMessage = 5000 });
        server.Cluster.CreateDirectory("/", "archive");
        var batches = await CollectAsync(server, SimulatorHelpers.Connection(server), FileAdded, expectedEvents: 5000, () => CreateFiles(server, 5000));

        var batch = Assert.Single(batches);
        Assert.Equal(5000, batch.Count);
        Assert.Equal(Enumerable.Range(0, 5000).Select(FilePath), batch.Select(n => n.Path));

        // The payload is one line: at least the paths alone exceed the 128 KB that broke the users' listener.
        Assert.True(batch.Sum(n => n.Path.Length) > 128 * 1024);
    }

    [Fact]
    public async Task A_message_over_the_clients_safety_cap_stops_the_stream_with_a_clear_error()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1, MaxEventsPerMessage = 5000 });
        server.Cluster.CreateDirectory("/", "archive");
        var connection = SimulatorHelpers.Connection(server) with { MaxNotifyMessageBytes = 64 * 1024 };
        var e = await Assert.ThrowsAsync<SseMessageTooLargeException>(() => CollectAsync(server, connection, FileAdded, expectedEvents: 5000, () => CreateFiles(server, 5000)));
        Assert.Equal(64 * 1024, e.LimitBytes);
        Assert.Contains("safety cap of 65,536 bytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("not dropped", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_that_falls_behind_its_capacity_is_dropped_and_its_response_ends()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1, WatchCapacity = 10 });
        server.Cluster.CreateDirectory("/", "archive");
        var batches = await CollectAsync(server, SimulatorHelpers.Connection(server), FileAdded, expectedEvents: 50, () => CreateFiles(server, 50));

        // The stream ended by itself (no timeout) with at most what its queue held: the rest was never sent.
        Assert.InRange(batches.Sum(b => b.Count), 0, 10);
        Assert.Equal(0, server.Cluster.WatcherCount);
    }

    private static string FilePath(int i) => "/archive/" + FileName(i);

    private static string FileName(int i) => "unpacked file with a long name, number " + i.ToString("D5", CultureInfo.InvariantCulture) + ".dat";

    private static void CreateFiles(SimulatorServer server, int count)
    {
        for (int i = 0; i < count; i++)
        {
            server.Cluster.CreateFile("/archive/", FileName(i));
        }
    }

    /// <summary>
    /// Opens a watch on the root, stalls the stream while <paramref name="mutate"/> runs (so all its
    /// events are pending at once), then reads messages until <paramref name="expectedEvents"/> arrived.
    /// </summary>
    private static async Task<List<IReadOnlyList<Notification>>> CollectAsync(
        SimulatorServer server, QumuloConnection connection, IReadOnlyCollection<string>? filter, int expectedEvents, Action mutate)
    {
        using var client = new QumuloClient(connection);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var registered = new TaskCompletionSource();
        var batches = new List<IReadOnlyList<Notification>>();
        var reading = Task.Run(async () =>
        {
            await foreach (var batch in client.NotifyAsync("/", recursive: true, filter, _ => registered.TrySetResult(), timeout.Token))
            {
                batches.Add(batch);
                if (batches.Sum(b => b.Count) >= expectedEvents)
                {
                    return;
                }
            }
        });
        await Task.WhenAny(registered.Task, reading).WaitAsync(timeout.Token);
        await SimulatorHelpers.FaultAsync(server, "stall-streams", new { seconds = 30 });
        try
        {
            mutate();
        }
        finally
        {
            await SimulatorHelpers.FaultAsync(server, "clear");
        }

        await reading.WaitAsync(timeout.Token);
        return batches;
    }
}
