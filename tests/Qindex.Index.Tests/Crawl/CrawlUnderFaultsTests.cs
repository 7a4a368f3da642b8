using System.Diagnostics;
using Qindex.Index.Crawl;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Index.Tests.Crawl;

/// <summary>Crawls through storms of refusals and a rate limit: slower, never wrong, never stuck.</summary>
public sealed class CrawlUnderFaultsTests : IAsyncLifetime
{
    private SimulatorCluster _cluster = null!;
    private string _indexDir = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimulatorCluster.StartAsync(new SimulatorOptions { Objects = 800, Seed = 9 });
        _indexDir = _cluster.NewIndexDirectory();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private QumuloClient Client() => _cluster.Client(TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(500));

    private async Task<List<string>> IndexedPathsAsync()
    {
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var result = await engine.QueryAsync("SELECT path FROM files", CancellationToken.None);
        return result.Rows.Select(r => (string)r[0]!).Order(StringComparer.Ordinal).ToList();
    }

    private async Task<CrawlResult> CrawlAsync(QumuloClient client)
    {
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        return await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/", Concurrency = 4, PageSize = 20 }, store, null, CancellationToken.None);
    }

    [Theory]
    [InlineData(429, 0.5)]
    [InlineData(503, 0.3)]
    public async Task A_crawl_through_a_storm_of_refusals_snapshot_creation_included_ends_equal_to_the_cluster(int status, double fraction)
    {
        using var client = Client();
        await client.WhoAmIAsync(CancellationToken.None);
        await _cluster.FaultAsync("errors", new { status, fraction, seconds = 3 });

        var result = await CrawlAsync(client);

        Assert.NotNull(result.SnapshotId);
        Assert.True(client.RetryCount > 0, "the storm must have refused some calls");
        Assert.Equal(_cluster.ModelPaths(), await IndexedPathsAsync());
    }

    [Fact]
    public async Task A_crawl_under_a_rate_limit_runs_no_faster_than_the_limit_and_ends_equal_to_the_cluster()
    {
        const int rps = 20;
        using var client = Client();
        await client.WhoAmIAsync(CancellationToken.None);
        await _cluster.FaultAsync("rate-limit", new { rps, seconds = 60 });
        var clock = Stopwatch.StartNew();
        var result = await CrawlAsync(client);
        clock.Stop();
        await _cluster.FaultAsync("clear");

        // Requests the bucket let through; the first second's worth came from its burst.
        var served = client.RequestCount - client.RetryCount;
        Assert.True(served > 2 * rps, $"only {served} requests: too few to see the limit");
        Assert.True(clock.Elapsed.TotalSeconds >= (served - rps - 1) / (double)rps, $"{served} requests in {clock.Elapsed.TotalSeconds:F1} s beat {rps}/s");
        Assert.True(client.RetryCount > 0, "the bucket must have refused some calls");
        Assert.Equal(_cluster.ModelPaths(), await IndexedPathsAsync());
        Assert.NotNull(result.SnapshotId);
    }
}
