using Microsoft.Extensions.Logging.Abstractions;
using Qindex.Index.Compaction;
using Qindex.Index.Crawl;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Index.Verify;
using Qindex.Index.Watch;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Index.Tests.Watch;

/// <summary>
/// A directory moved into the watched tree, committed in parts on the real store while background
/// compaction runs beside them: the index equals the cluster (qindex verify), and the changes log
/// holds one insert per moved-in row, none twice across the parts.
/// </summary>
public sealed class MovedInPartsTests : IAsyncLifetime
{
    private readonly string _indexDir = Directory.CreateTempSubdirectory("qindex-parts-").FullName;
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 500, Seed = 3, KeepAliveSeconds = 1 });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_indexDir, recursive: true);
    }

    [Fact]
    public async Task A_directory_moved_in_by_parts_beside_compaction_equals_the_cluster_and_is_logged_once_a_row()
    {
        var cluster = _server.Cluster;
        const string root = "/watched/";
        cluster.CreateDirectory("/", "watched");
        cluster.CreateFile(root, "already here");
        cluster.CreateDirectory("/", "outside");
        var names = new[] { "plain", "with \"quotes\"", "per%25cent", "new\nline", "caf\u00e9 \u65e5\u672c" };
        foreach (var name in names)
        {
            cluster.CreateDirectory("/outside/", name);
            for (var i = 0; i < 120; i++)
            {
                cluster.CreateFile("/outside/" + name + "/", $"{name} {i}");
            }
        }

        using var client = new QumuloClient(SimulatorCluster.ConnectionTo(_server) with { InitialBackoff = TimeSpan.FromMilliseconds(20) });
        await using (var crawled = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None))
        {
            await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "127.0.0.1", RootPath = root }, crawled, null, CancellationToken.None);
        }

        await using var store = (IcebergIndexStore)await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        await using var compaction = new BackgroundCompaction(store, new CompactionOptions { FileThreshold = 3 });
        var options = new WatchOptions
        {
            ClusterHost = "127.0.0.1",
            RootPath = root,
            BatchWindow = TimeSpan.FromMilliseconds(200),
            BaselineInterval = null,
            MaintenanceInterval = null,
            CrawlPartRows = 100,
            PageSize = 30,
        };
        var watcher = new Watcher(client, store, _indexDir, options, new WatchMetrics(), NullLogger.Instance)
        {
            Compaction = _ =>
            {
                compaction.StartIfDue();
                return Task.CompletedTask;
            },
        };
        var (run, stop) = await WatchStart.UntilCaughtUpAsync(watcher, TimeSpan.FromSeconds(30));
        using var stopping = stop;
        var snapshotsBefore = (await store.GetStatusAsync(CancellationToken.None)).Snapshots;

        cluster.Rename(root, "moved in", "/outside/");
        VerifyReport report;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        do
        {
            await Task.Delay(300);
            Assert.False(run.IsCompleted, "the watcher stopped");
            report = await new IndexVerifier(client).RunAsync(new VerifyOptions { ClusterHost = "127.0.0.1", RootPath = root, UseSnapshot = false, ExamplesPerKind = 20 }, store, null, CancellationToken.None);
        }
        while (!report.Equal && DateTime.UtcNow < deadline);

        await stop.CancelAsync();
        Assert.Equal(WatchExit.Stopped, await run);
        Assert.True(report.Equal, $"missing [{string.Join(" | ", report.MissingExamples)}], extra [{string.Join(" | ", report.ExtraExamples)}], different {report.Different}");

        // 606 rows (the directory, five below it, 600 files): at least six parts and the batch.
        var snapshotsAfter = (await store.GetStatusAsync(CancellationToken.None)).Snapshots;
        Assert.True(snapshotsAfter - snapshotsBefore >= 7, $"{snapshotsBefore} snapshots before, {snapshotsAfter} after");

        await store.FlushChangesLogAsync();
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var logged = await engine.QueryAsync("SELECT count(*), count(DISTINCT path) FROM changes WHERE kind = 'insert' AND starts_with(path, '/watched/moved in/')", CancellationToken.None);
        Assert.Equal(606L, Convert.ToInt64(logged.Rows[0][0], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(606L, Convert.ToInt64(logged.Rows[0][1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
