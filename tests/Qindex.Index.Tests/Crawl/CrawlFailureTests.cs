using Qindex.Index.Crawl;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Index.Tests.Crawl;

/// <summary>Crawls that meet failures they cannot retry away: they end at once and change nothing.</summary>
public sealed class CrawlFailureTests : IAsyncLifetime
{
    private SimulatorCluster _cluster = null!;
    private string _indexDir = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimulatorCluster.StartAsync(new SimulatorOptions { Objects = 3000, Seed = 5 });
        _indexDir = _cluster.NewIndexDirectory();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private QumuloClient Client(TimeSpan retryBudget) => _cluster.Client(retryBudget, TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(100));

    private async Task<long> IndexedRowsAsync()
    {
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        return (await store.GetStatusAsync(CancellationToken.None)).Rows;
    }

    [Fact]
    public async Task A_worker_that_runs_out_of_retries_ends_the_whole_crawl_at_once_and_leaves_the_index_as_it_was()
    {
        using (var good = Client(TimeSpan.FromSeconds(30)))
        await using (var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None))
        {
            await new Crawler(good).RunAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/" }, store, null, CancellationToken.None);
        }

        var rowsBefore = await IndexedRowsAsync();
        var snapshotsBefore = _cluster.Server.Cluster.ListSnapshots().Select(s => s.Id).ToList();
        var existing = _cluster.Server.Cluster.CreateSnapshot(2, "test-existing", null);

        // Most requests refused and a retry budget of a third of a second: some listing runs out of
        // time while other workers wait for directories that will never come.
        using var failing = Client(TimeSpan.FromMilliseconds(300));
        await failing.WhoAmIAsync(CancellationToken.None);
        await _cluster.FaultAsync("errors", new { status = 503, fraction = 0.8, seconds = 60 });
        Task crawl;
        await using (var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None))
        {
            crawl = new Crawler(failing).RunAsync(
                new CrawlOptions { ClusterHost = "sim", RootPath = "/", SnapshotMode = CrawlSnapshotMode.Existing, SnapshotId = existing.Id, Concurrency = 4, PageSize = 7 },
                store,
                null,
                CancellationToken.None);
            var finished = await Task.WhenAny(crawl, Task.Delay(TimeSpan.FromSeconds(20)));
            Assert.True(finished == crawl, "the crawl still runs 20 s after a worker gave up");
            var error = await Assert.ThrowsAsync<QumuloApiException>(() => crawl);
            Assert.Contains("/v1/files/", error.Message, StringComparison.Ordinal);
            Assert.Matches(@"gave up after \d+ attempts? over \d+\.\d s", error.Message);
        }

        await _cluster.FaultAsync("clear");
        Assert.Equal(rowsBefore, await IndexedRowsAsync());
        Assert.Equal(snapshotsBefore.Append(existing.Id).Order(), _cluster.Server.Cluster.ListSnapshots().Select(s => s.Id).Order());
    }
}
