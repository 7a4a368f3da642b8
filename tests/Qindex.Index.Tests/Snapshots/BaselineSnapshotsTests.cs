using Qindex.Index.Crawl;
using Qindex.Index.Snapshots;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Index.Tests.Snapshots;

/// <summary>Cluster snapshots never leak: exactly the baseline's snapshot is left, whatever happened to the crawls.</summary>
public sealed class BaselineSnapshotsTests : IAsyncLifetime
{
    private SimulatorCluster _cluster = null!;
    private string _indexDir = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimulatorCluster.StartAsync(new SimulatorOptions { Objects = 400, Seed = 21 });
        _indexDir = _cluster.NewIndexDirectory();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private QumuloClient Client(TimeSpan? budget = null) => _cluster.Client(budget ?? TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(50));

    private async Task<CrawlResult> CrawlAsync(QumuloClient client, CancellationToken cancellationToken = default, int pageSize = 1000)
    {
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        return await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/", Concurrency = 2, PageSize = pageSize }, store, null, cancellationToken);
    }

    private async Task<(string Tag, IndexBaseline? Baseline)> IndexAsync()
    {
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        return (BaselineSnapshots.TagOf(store), (await store.GetStatusAsync(CancellationToken.None)).Baseline);
    }

    [Fact]
    public async Task Crawls_failed_crawls_cancelled_crawls_and_a_crash_leave_exactly_the_baseline_snapshot()
    {
        var userSnapshot = _cluster.Server.Cluster.CreateSnapshot(2, "an-administrators-own", null);
        using var client = Client();
        for (var i = 0; i < 3; i++)
        {
            await CrawlAsync(client);
            Assert.Single(_cluster.QindexSnapshots());
        }

        // A crawl that fails (every listing refused past a short budget).
        using (var failing = Client(TimeSpan.FromMilliseconds(200)))
        {
            await failing.WhoAmIAsync(CancellationToken.None);
            await _cluster.FaultAsync("errors", new { status = 503, fraction = 1.0, seconds = 60 });
            await Assert.ThrowsAsync<QumuloApiException>(() => CrawlAsync(failing));
            await _cluster.FaultAsync("clear");
        }

        Assert.Single(_cluster.QindexSnapshots());

        // A crawl cancelled (Ctrl-C) in the middle, slowed so that it is still running (200 ms a
        // request: seconds between its snapshot and its commit, even on a loaded machine).
        await _cluster.FaultAsync("latency", new { ms = 200, seconds = 30 });
        using (var cancel = new CancellationTokenSource())
        {
            var crawl = CrawlAsync(client, cancel.Token, pageSize: 5);
            while (_cluster.QindexSnapshots().Count < 2)
            {
                await Task.Delay(5);
            }

            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => crawl);
        }

        await _cluster.FaultAsync("clear");
        var (tag, baseline) = await IndexAsync();
        var kept = Assert.Single(_cluster.QindexSnapshots());
        Assert.Equal(baseline!.ClusterSnapshotId, kept.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // A crawl killed outright leaves its snapshot; another index's snapshot is not ours to delete.
        var crashed = _cluster.Server.Cluster.CreateSnapshot(2, $"qindex-{tag}-crawl-20261130T000000000Z", null);
        var otherIndex = _cluster.Server.Cluster.CreateSnapshot(2, "qindex-0123456789ab-crawl-20261130T000000000Z", null);
        var result = await CrawlAsync(client);

        Assert.Equal(2, result.SnapshotsDeleted);
        Assert.Null(result.SnapshotCleanupFailure);
        var remaining = _cluster.QindexSnapshots().Select(s => s.Id).Order().ToList();
        Assert.Equal(new[] { otherIndex.Id, result.SnapshotId!.Value }, remaining);
        Assert.DoesNotContain(crashed.Id, remaining);
        Assert.Contains(_cluster.Server.Cluster.ListSnapshots(), s => s.Id == userSnapshot.Id);
    }

    [Fact]
    public async Task A_start_cleans_leftovers_older_than_the_baseline_and_stale_ones_newer_than_it()
    {
        using var client = Client();
        await CrawlAsync(client);
        var (tag, baseline) = await IndexAsync();
        var before = _cluster.Server.Cluster.CreateSnapshot(2, $"qindex-{tag}-watch-a", null);
        _cluster.Server.Cluster.DeleteSnapshot(before.Id);
        var newer = _cluster.Server.Cluster.CreateSnapshot(2, $"qindex-{tag}-watch-b", null);

        var fresh = new BaselineSnapshots(client, tag);
        Assert.Equal(0, await fresh.CleanLeftoversAsync(baseline, CancellationToken.None));
        Assert.Contains(_cluster.Server.Cluster.ListSnapshots(), s => s.Id == newer.Id);

        var impatient = new BaselineSnapshots(client, tag) { LeftoverAge = TimeSpan.Zero };
        Assert.Equal(1, await impatient.CleanLeftoversAsync(baseline, CancellationToken.None));
        Assert.Single(_cluster.QindexSnapshots());
        Assert.Equal(baseline!.ClusterSnapshotId, _cluster.QindexSnapshots()[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // The watcher's rotation: take a new one, commit it as the baseline, delete the superseded.
        var rotated = await fresh.CreateAsync("2", "watch", CancellationToken.None);
        Assert.StartsWith(fresh.Prefix + "watch-", rotated.Name, StringComparison.Ordinal);
        Assert.Equal(1, await fresh.DeleteSupersededAsync(baseline, rotated.Id, CancellationToken.None));
        Assert.Equal(rotated.Id, Assert.Single(_cluster.QindexSnapshots()).Id);
    }
}
