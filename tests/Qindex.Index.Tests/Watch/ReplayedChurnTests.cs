using System.Text.Json;
using Qindex.Index.Crawl;
using Qindex.Index.Watch;
using Qindex.Qumulo;
using Qindex.Simulator;
using Qindex.Simulator.Churn;

namespace Qindex.Index.Tests.Watch;

/// <summary>
/// The coalescer and applier fed the notifications of a directory rename and a churn (what
/// <c>qindex demo</c> does) after both ended, in windows: every read sees the final state, later
/// than the events it resolves, as a watcher behind a busy cluster does. Deterministic (no
/// timing), over a real socket. These cases reproduce the rows the demo once lost (its files view
/// counted 28,966 rows where the cluster had 28,970): a directory renamed after its events whose
/// 404 under its slash-less spelling deleted the row its id had just placed (seed 42), and a hard
/// link's other name whose directory was renamed after the batch, read as 404 and deleted
/// (seed 7); the later rename then had nothing to move.
/// </summary>
public sealed class ReplayedChurnTests : IAsyncLifetime
{
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 30000, Seed = 7 });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private QumuloClient Client() => new(SimulatorCluster.ConnectionTo(_server));

    [Theory]
    [InlineData(42, 2000)]
    [InlineData(7, 1000)]
    public async Task A_churn_replayed_in_windows_after_it_ended_leaves_every_path_of_the_cluster_indexed(int seed, int window)
    {
        var cluster = _server.Cluster;
        using var client = Client();
        var store = new MemoryIndexStore();
        await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "h", RootPath = "/", SnapshotMode = CrawlSnapshotMode.None }, store, null, CancellationToken.None);
        var tops = cluster.EnumerateEntries("/").Where(e => e.Path.EndsWith('/')).OrderByDescending(e => cluster.GetAggregates(e.Path).TotalFiles).Select(e => e.Path).ToList();
        var top = tops[1];

        using var watch = cluster.Subscribe("/", recursive: true, capacity: 10_000_000);
        cluster.Rename("/", "renamed", tops[0]);
        await new ChurnWorkload(client, new ChurnOptions { Path = top.TrimEnd('/'), Ops = 1000, Seed = seed }).RunAsync(CancellationToken.None);
        var events = new List<Notification>();
        while (watch.Reader.TryRead(out var n))
        {
            var json = JsonSerializer.Serialize(new[] { new { type = n.Type, path = n.Path, spine = n.Spine.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), stream_name = n.StreamName } });
            events.AddRange(Notification.ParsePayload(json, "/"));
        }

        var links = new HardLinkMap();
        links.Reset(await store.LinkedAsync(CancellationToken.None));
        var applier = new PlanApplier(client, new WatchOptions { ClusterHost = "h", RootPath = "/" }, links, store);
        var coalescer = new EventCoalescer("/");
        for (var i = 0; i < events.Count; i++)
        {
            coalescer.Add(events[i]);
            if ((i + 1) % window == 0 || i == events.Count - 1)
            {
                if (coalescer.HasDanglingMove && i < events.Count - 1)
                {
                    continue;
                }

                coalescer.FlushDanglingMove();
                await using var changes = store.BeginChanges();
                await applier.ApplyAsync(coalescer.Build(), changes, null, CancellationToken.None);
                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }
        }

        var fresh = new MemoryIndexStore();
        await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "h", RootPath = "/", SnapshotMode = CrawlSnapshotMode.None }, fresh, null, CancellationToken.None);
        var missing = fresh.Rows.Keys.Except(store.Rows.Keys).Order(StringComparer.Ordinal).ToList();
        var extra = store.Rows.Keys.Except(fresh.Rows.Keys).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0, $"{events.Count} events; missing {missing.Count}: {string.Join(" | ", missing.Take(5))}; extra {extra.Count}: {string.Join(" | ", extra.Take(5))}");
    }
}
