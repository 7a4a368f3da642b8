using Qindex.Index.Crawl;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Index.Tests.Crawl;

/// <summary>Crawls that meet failures they cannot retry away: they end at once and change nothing.</summary>
public sealed class CrawlFailureTests : IAsyncLifetime
{
    private readonly string _indexDir = Directory.CreateTempSubdirectory("qindex-crawlfail-").FullName;
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 3000, Seed = 5 });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_indexDir, recursive: true);
    }

    private QumuloClient Client(TimeSpan retryBudget) => new(new QumuloConnection
    {
        Host = _server.BaseAddress.Host,
        Port = _server.BaseAddress.Port,
        User = "admin",
        Password = "admin",
        PinSha256 = _server.CertificateSha256,
        RetryBudget = retryBudget,
        InitialBackoff = TimeSpan.FromMilliseconds(5),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
    });

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
        var snapshotsBefore = _server.Cluster.ListSnapshots().Select(s => s.Id).ToList();
        var existing = _server.Cluster.CreateSnapshot(2, "test-existing", null);

        // Most requests refused and a retry budget of a third of a second: some listing runs out of
        // time while other workers wait for directories that will never come.
        using var failing = Client(TimeSpan.FromMilliseconds(300));
        await failing.WhoAmIAsync(CancellationToken.None);
        await SimulatorFaults.InjectAsync(_server, "errors", new { status = 503, fraction = 0.8, seconds = 60 });
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
            Assert.Matches(@"gave up after \d+ attempts over \d+\.\d s", error.Message);
        }

        await SimulatorFaults.InjectAsync(_server, "clear");
        Assert.Equal(rowsBefore, await IndexedRowsAsync());
        Assert.Equal(snapshotsBefore.Append(existing.Id).Order(), _server.Cluster.ListSnapshots().Select(s => s.Id).Order());
    }
}
