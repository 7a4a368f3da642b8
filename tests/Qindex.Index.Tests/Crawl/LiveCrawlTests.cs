using System.Globalization;
using Qindex.Index.Crawl;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Index.Tests.Crawl;

/// <summary>A crawl of the live tree (no snapshot) while the tree changes under it.</summary>
public sealed class LiveCrawlTests : IAsyncLifetime
{
    private readonly string _indexDir = Directory.CreateTempSubdirectory("qindex-livecrawl-").FullName;
    private SimulatorServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1 });
        _server.Cluster.CreateDirectory("/", "d");
        for (var i = 0; i < 30; i++)
        {
            _server.Cluster.CreateDirectory("/d/", "sub" + i.ToString("D2", CultureInfo.InvariantCulture));
        }
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_indexDir, recursive: true);
    }

    [Fact]
    public async Task A_live_crawl_skips_and_counts_a_directory_deleted_after_its_parent_was_listed()
    {
        using var client = new QumuloClient(SimulatorCluster.ConnectionTo(_server) with
        {
            RetryBudget = TimeSpan.FromSeconds(5),
        });
        await client.WhoAmIAsync(CancellationToken.None);

        // One directory at a time, one entry a page, each request slowed: /d/ takes 30 pages to list,
        // and its subdirectories are listed only after all of them (100 ms a request leaves two
        // seconds between the tenth request and sub00's listing, time for a loaded machine to delete it).
        await SimulatorFaults.InjectAsync(_server, "latency", new { ms = 100, seconds = 60 });
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        var crawl = new Crawler(client).RunAsync(
            new CrawlOptions { ClusterHost = "sim", RootPath = "/", SnapshotMode = CrawlSnapshotMode.None, Concurrency = 1, PageSize = 1 },
            store,
            null,
            CancellationToken.None);

        // Once the listing of /d/ is under way (its first page names sub00), sub00 goes away.
        var start = client.RequestCount;
        while (client.RequestCount < start + 10)
        {
            await Task.Delay(1);
        }

        _server.Cluster.Delete("/d/sub00/");
        var finished = await Task.WhenAny(crawl, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == crawl, "the live crawl did not finish");
        var result = await crawl;

        Assert.Equal(1, result.Vanished);
        Assert.Equal(32, result.Objects);
        await SimulatorFaults.InjectAsync(_server, "clear");
    }
}
