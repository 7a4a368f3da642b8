using Microsoft.Extensions.Logging.Abstractions;
using Qindex.Index.Crawl;
using Qindex.Index.Store;
using Qindex.Index.Verify;
using Qindex.Index.Watch;
using Qindex.Qumulo;
using Qindex.Simulator;
using Qindex.Simulator.Churn;

namespace Qindex.Index.Tests.Watch;

/// <summary>
/// Hard links under a live watcher, on the real store, over a real socket: a new name, a removed
/// name, a rename of one name and a rename over one name change num_links and change_time of the
/// file's other names, which no event names. The index must equal the cluster (qindex verify)
/// from the events alone: no restart, no catch-up.
/// </summary>
public sealed class HardLinkWatchTests : IAsyncLifetime
{
    private readonly string _indexDir = Directory.CreateTempSubdirectory("qindex-links-").FullName;
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 3000, Seed = 11, KeepAliveSeconds = 1 });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_indexDir, recursive: true);
    }

    private QumuloClient Client() => new(SimulatorCluster.ConnectionTo(_server) with
    {
        InitialBackoff = TimeSpan.FromMilliseconds(20),
    });

    /// <summary>Only the events: no periodic baseline, no reconnect (a catch-up would hide the defect).</summary>
    private static WatchOptions Options() => new()
    {
        ClusterHost = "127.0.0.1",
        RootPath = "/",
        BatchWindow = TimeSpan.FromMilliseconds(200),
        KeepAliveTimeout = TimeSpan.FromSeconds(30),
        BaselineInterval = null,
        MaintenanceInterval = null,
    };

    private sealed class Watching(Task<WatchExit> run, CancellationTokenSource stop, WatchMetrics metrics) : IAsyncDisposable
    {
        public WatchMetrics Metrics => metrics;

        public Task<WatchExit> Run => run;

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            Assert.Equal(WatchExit.Stopped, await run);
            stop.Dispose();
        }
    }

    private async Task<Watching> StartAsync(QumuloClient client, IIndexStore store)
    {
        var metrics = new WatchMetrics();
        var watcher = new Watcher(client, store, _indexDir, Options(), metrics, NullLogger.Instance);
        var (run, stop) = await WatchStart.UntilCaughtUpAsync(watcher, TimeSpan.FromSeconds(30));
        return new Watching(run, stop, metrics);
    }

    /// <summary>
    /// Verifies until equal or until 15 s pass (the watcher needs a window and a commit), then
    /// asserts that the last verdict is equal and that no catch-up ran since the start.
    /// </summary>
    /// <remarks>
    /// With <c>explicitChangeTimesBefore</c>, a row that differs in change_time alone, with the cluster's change_time before
    /// this instant, is accepted: a PATCH that sets only change_time has no notification
    /// (docs/simulator-event-model.md), so only a catch-up can see it.
    /// </remarks>
    private async Task AssertIndexEqualsClusterAsync(QumuloClient client, Watching watching, string step, DateTimeOffset? explicitChangeTimesBefore = null)
    {
        VerifyReport report = null!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        do
        {
            await Task.Delay(300);
            if (watching.Run.IsCompleted)
            {
                await watching.Run;
                Assert.Fail("the watcher stopped");
            }

            await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
            report = await new IndexVerifier(client).RunAsync(new VerifyOptions { ClusterHost = "127.0.0.1", RootPath = "/", UseSnapshot = false, ExamplesPerKind = 1000 }, store, null, CancellationToken.None);
        }
        while (!Acceptable(report, explicitChangeTimesBefore) && DateTime.UtcNow < deadline);

        Assert.True(Acceptable(report, explicitChangeTimesBefore), step + ": " + Describe(report));
        Assert.Equal(0, watching.Metrics.Reconnects.Value);
        Assert.Equal(1, watching.Metrics.CatchUps.WithLabels("diff").Value + watching.Metrics.CatchUps.WithLabels("recrawl").Value);
    }

    private bool Acceptable(VerifyReport report, DateTimeOffset? explicitChangeTimesBefore) =>
        report.Equal
        || (explicitChangeTimesBefore is { } before && report.Missing == 0 && report.Extra == 0 && report.DifferentExamples.Count == report.Different
            && report.DifferentExamples.All(d => d.Columns.Select(c => c.Column).SequenceEqual(["change_time"])
                && _server.Cluster.GetAttributes(d.Path).ChangeTime.ToDateTimeOffset() < before));

    private static string Describe(VerifyReport r) =>
        $"columns [{string.Join(", ", r.DifferentColumns.Select(c => c.Key + " " + c.Value))}] missing [{string.Join(" | ", r.MissingExamples)}], extra [{string.Join(" | ", r.ExtraExamples)}], different [{string.Join(" | ", r.DifferentExamples.Select(d => d.Path + ": " + string.Join(", ", d.Columns.Select(c => $"{c.Column} index {c.IndexValue} cluster {c.ClusterValue}"))))}]";

    private async Task<IIndexStore> CrawlAsync(QumuloClient client)
    {
        var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "127.0.0.1", RootPath = "/" }, store, null, CancellationToken.None);
        return store;
    }

    [Fact]
    public async Task Making_and_removing_links_updates_the_other_names_without_a_catch_up()
    {
        var cluster = _server.Cluster;
        var dir = cluster.CreateDirectory("/", "links").Path;
        var other = cluster.CreateDirectory("/", "elsewhere").Path;
        var original = cluster.CreateFile(dir, "original").Path;
        cluster.ReplaceData(original, 1000);
        using var client = Client();
        await using var store = await CrawlAsync(client);
        await using var watching = await StartAsync(client, store);

        // A second name, in another directory: the first name's num_links becomes 2.
        cluster.CreateLink(other, "second", original);
        await AssertIndexEqualsClusterAsync(client, watching, "after a link was made");

        // A third name, then the second removed: the other two see 3, then 2.
        cluster.CreateLink(dir, "third", original);
        await AssertIndexEqualsClusterAsync(client, watching, "after a third link was made");
        cluster.Delete(other + "second");
        await AssertIndexEqualsClusterAsync(client, watching, "after one link was removed");

        // The last other name removed: the survivor is back to one link.
        cluster.Delete(dir + "third");
        await AssertIndexEqualsClusterAsync(client, watching, "after the last other link was removed");
    }

    [Fact]
    public async Task Renaming_a_link_and_renaming_over_a_link_update_the_other_names_without_a_catch_up()
    {
        var cluster = _server.Cluster;
        var dir = cluster.CreateDirectory("/", "links").Path;
        var original = cluster.CreateFile(dir, "original").Path;
        cluster.CreateLink(dir, "second", original);
        cluster.CreateLink(dir, "third", original);
        var replacement = cluster.CreateFile(dir, "replacement").Path;
        using var client = Client();
        await using var store = await CrawlAsync(client);
        await using var watching = await StartAsync(client, store);

        // A rename changes the file's change_time, seen by every name.
        cluster.Rename(dir, "second renamed", dir + "second");
        await AssertIndexEqualsClusterAsync(client, watching, "after a link was renamed");

        // Another file renamed over one name: the two left see 2 links.
        cluster.Rename(dir, "third", replacement, clobber: true);
        await AssertIndexEqualsClusterAsync(client, watching, "after a rename over a link");

        // Data written through one name: every name shows the new size.
        cluster.WriteData(dir + "second renamed", 0, 5000);
        await AssertIndexEqualsClusterAsync(client, watching, "after a write through one name");
    }

    [Fact]
    public async Task Links_of_the_generated_tree_are_followed_from_the_start()
    {
        var cluster = _server.Cluster;
        using var client = Client();
        await using var store = await CrawlAsync(client);
        var linked = new List<string>();
        var queue = new Queue<string>(["/"]);
        while (queue.Count > 0)
        {
            foreach (var entry in cluster.EnumerateEntries(queue.Dequeue()))
            {
                if (entry.Path.EndsWith('/'))
                {
                    queue.Enqueue(entry.Path);
                }
                else if (entry.NumLinks > 1)
                {
                    linked.Add(entry.Path);
                }
            }
        }

        Assert.NotEmpty(linked);
        await using var watching = await StartAsync(client, store);
        cluster.Delete(linked[0]);
        await AssertIndexEqualsClusterAsync(client, watching, "after a generated link was removed");
    }

    [Fact]
    public async Task A_churn_with_links_leaves_the_index_equal_to_the_cluster_without_a_catch_up()
    {
        var cluster = _server.Cluster;
        using var client = Client();
        await using var store = await CrawlAsync(client);
        var top = cluster.EnumerateEntries("/").Where(e => e.Path.EndsWith('/')).OrderByDescending(e => cluster.EnumerateEntries(e.Path).Count()).First().Path;
        await using var watching = await StartAsync(client, store);
        var started = DateTimeOffset.UtcNow;

        // The churn makes and removes links (of its own files and of generated ones whose other
        // name lies elsewhere in the tree), renames over them, and deletes whole trees holding them.
        var churn = await new ChurnWorkload(client, new ChurnOptions { Path = top.TrimEnd('/'), Ops = 600, Seed = 42 }).RunAsync(CancellationToken.None);
        Assert.True(churn.Counts["create_link"] > 0);
        await AssertIndexEqualsClusterAsync(client, watching, "after a churn", explicitChangeTimesBefore: started);
    }
}
