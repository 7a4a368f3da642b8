using Qindex.Index.Crawl;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Index.Tests.Crawl;

public sealed class CrawlTests : IAsyncLifetime
{
    private readonly string _indexDir = Directory.CreateTempSubdirectory("qindex-crawl-").FullName;
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 3000, Seed = 11 });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_indexDir, recursive: true);
    }

    private QumuloClient Client(int maxAttempts = 6) => new(SimulatorCluster.ConnectionTo(_server) with
    {
        MaxAttempts = maxAttempts,
        InitialBackoff = TimeSpan.FromMilliseconds(10),
    });

    /// <summary>Every path in the model, walked independently of qindex's client.</summary>
    private HashSet<string> ModelPaths(long? snapshot = null)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal) { "/" };
        var queue = new Queue<string>();
        queue.Enqueue("/");
        while (queue.Count > 0)
        {
            foreach (var entry in _server.Cluster.EnumerateEntries(queue.Dequeue(), snapshot))
            {
                paths.Add(entry.Path);
                if (entry.Path.EndsWith('/'))
                {
                    queue.Enqueue(entry.Path);
                }
            }
        }

        return paths;
    }

    private async Task<(HashSet<string> Paths, long Rows)> IndexedPathsAsync()
    {
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var result = await engine.QueryAsync("SELECT path FROM files", CancellationToken.None);
        return (result.Rows.Select(r => (string)r[0]!).ToHashSet(StringComparer.Ordinal), result.Rows.Count);
    }

    private async Task<CrawlResult> CrawlAsync(CrawlOptions options, QumuloClient client, CancellationToken cancellationToken = default)
    {
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        return await new Crawler(client).RunAsync(options, store, null, cancellationToken);
    }

    [Fact]
    public async Task A_crawl_indexes_exactly_the_objects_the_cluster_holds_with_a_snapshot_as_baseline()
    {
        using var client = Client();
        var result = await CrawlAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/", Concurrency = 4, PageSize = 97 }, client);

        var expected = ModelPaths();
        var (paths, rows) = await IndexedPathsAsync();
        Assert.Equal(expected.Count, rows);
        Assert.Equal(expected.OrderBy(p => p, StringComparer.Ordinal), paths.OrderBy(p => p, StringComparer.Ordinal));
        Assert.Contains(paths, p => p.Contains('\n', StringComparison.Ordinal) || p.Contains('\'', StringComparison.Ordinal) || p.Contains('%', StringComparison.Ordinal));

        Assert.NotNull(result.SnapshotId);
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        var status = await store.GetStatusAsync(CancellationToken.None);
        Assert.Equal(result.SnapshotId.ToString(), status.Baseline?.ClusterSnapshotId);
        Assert.Equal(rows, status.Rows);
    }

    [Fact]
    public async Task Icebird_reads_the_table_a_crawl_wrote_as_the_cluster_is_and_hyparquet_finds_each_data_file_sorted_within_its_bounds()
    {
        using var client = Client();
        await CrawlAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/", Concurrency = 4 }, client);
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);

        using var read = await NodeReaders.ReadIcebergAsync(store.Table.MetadataLocation);
        var rows = read.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("path").GetString()!, StringComparer.Ordinal);

        var expected = new Dictionary<string, Qindex.Simulator.Model.FsAttributes>(StringComparer.Ordinal) { ["/"] = _server.Cluster.GetAttributes("/") };
        foreach (var path in ModelPaths().Where(p => p != "/"))
        {
            expected[path] = _server.Cluster.GetAttributes(path);
        }

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, attributes) in expected)
        {
            var row = rows[path];
            Assert.Equal(attributes.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), row.GetProperty("size").GetString());
            Assert.Equal(attributes.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), row.GetProperty("id").GetString());
            Assert.Equal(attributes.Name, row.GetProperty("name").GetString());
            var mtime = attributes.ModificationTime.ToDateTimeOffset();
            Assert.Equal(mtime.ToUnixTimeMilliseconds(), DateTimeOffset.Parse(row.GetProperty("modification_time").GetString()!, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
        }

        // hyparquet reads each data file on its own: the rows the manifest counts, sorted by path
        // as the table's sort order says, between the path bounds the manifest records.
        var live = await store.Table.LiveEntriesAsync(CancellationToken.None);
        Assert.NotEmpty(live);
        foreach (var entry in live)
        {
            using var file = await NodeReaders.ReadParquetAsync(Qindex.Iceberg.IO.LocalFileIO.ToPath(entry.DataFile.FilePath));
            var paths = file.RootElement.EnumerateArray().Select(r => r.GetProperty("path").GetString()!).ToList();
            Assert.Equal(entry.DataFile.RecordCount, paths.Count);
            Assert.Equal(paths.Order(PathOrder.Instance), paths);
            Assert.Equal(paths[0], Qindex.Iceberg.Spec.SingleValue.ToString(entry.DataFile.LowerBounds![IcebergIndexStore.PathFieldId]));
            Assert.Equal(paths[^1], Qindex.Iceberg.Spec.SingleValue.ToString(entry.DataFile.UpperBounds![IcebergIndexStore.PathFieldId]));
        }
    }

    [Fact]
    public async Task A_crawl_from_a_snapshot_sees_the_tree_as_it_was_then()
    {
        var snapshot = _server.Cluster.CreateSnapshot(2, "before", null);
        var before = ModelPaths();
        _server.Cluster.CreateFile("/", "created-after-the-snapshot");

        using var client = Client();
        await CrawlAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/", SnapshotMode = CrawlSnapshotMode.Existing, SnapshotId = snapshot.Id }, client);

        var (paths, _) = await IndexedPathsAsync();
        Assert.DoesNotContain("/created-after-the-snapshot", paths);
        Assert.Equal(before.Count, paths.Count);
    }

    [Fact]
    public async Task A_failed_crawl_leaves_the_previous_index_as_it_was_and_removes_its_snapshot()
    {
        using var client = Client();
        await CrawlAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/" }, client);
        var (before, _) = await IndexedPathsAsync();
        var snapshotsBefore = _server.Cluster.ListSnapshots().Count;

        _server.Cluster.CreateFile("/", "would-be-new");
        using var failing = Client(maxAttempts: 2);
        await failing.WhoAmIAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var crawl = CrawlAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/", Concurrency = 1, PageSize = 5 }, failing, cancel.Token);
        await Task.Delay(50);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => crawl);

        var (after, _) = await IndexedPathsAsync();
        Assert.Equal(before, after);
        Assert.Equal(snapshotsBefore, _server.Cluster.ListSnapshots().Count);
    }
}
