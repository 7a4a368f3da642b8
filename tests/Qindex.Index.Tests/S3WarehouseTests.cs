using Qindex.Index.Import;
using Qindex.Index.Query;
using Qindex.Index.Store;

namespace Qindex.Index.Tests;

/// <summary>
/// An index whose warehouse is in S3 (here a fake S3-compatible server on loopback, reached
/// through the standard AWS settings): data, manifests and metadata all land in the bucket,
/// nothing in the local warehouse, and queries read the live files through the local cache.
/// </summary>
public sealed class S3WarehouseTests : IAsyncLifetime
{
    private readonly string _dir = PipelineFixtures.TempDir();
    private FakeS3Server _s3 = null!;

    public async Task InitializeAsync()
    {
        _s3 = await FakeS3Server.StartAsync();

        // The standard AWS settings; no other test in this assembly uses S3.
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL_S3", _s3.BaseAddress.AbsoluteUri.TrimEnd('/'));
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "test-key-id");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "test-secret-not-real");
        Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");
    }

    public async Task DisposeAsync()
    {
        await _s3.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task An_import_into_an_s3_warehouse_stores_every_table_file_in_the_bucket_and_queries_read_it()
    {
        var source = Path.Combine(_dir, "src.parquet");
        await PipelineFixtures.WriteUsersParquetAsync(source, 300);
        var location = new IndexLocation(Path.Combine(_dir, "idx"), Warehouse: "s3://qindex-test/warehouse");
        await using (var store = await IndexStoreFactory.OpenAsync(location, CancellationToken.None))
        {
            var result = await IndexImporter.ImportAsync(ImportSources.Expand([source]), store, null, CancellationToken.None);
            Assert.Equal(300, result.RowsImported);
        }

        var keys = _s3.Objects.Keys.ToList();
        Assert.Contains(keys, k => k.StartsWith("qindex-test/warehouse/qindex/files/data/", StringComparison.Ordinal) && k.EndsWith(".parquet", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.StartsWith("qindex-test/warehouse/qindex/files/metadata/", StringComparison.Ordinal) && k.EndsWith(".metadata.json", StringComparison.Ordinal));
        Assert.Contains(keys, k => k.Contains("/metadata/snap-", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_dir, "idx", "warehouse")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "idx", "staging")));

        await using var reopened = await IndexStoreFactory.OpenAsync(location, CancellationToken.None);
        var status = await reopened.GetStatusAsync(CancellationToken.None);
        Assert.Equal(300, status.Rows);
        Assert.StartsWith("s3://qindex-test/warehouse/", status.TableLocation, StringComparison.Ordinal);
        await using var engine = await QueryEngine.OpenAsync(reopened, CancellationToken.None);
        var rows = await engine.QueryAsync("SELECT count(*) FROM files", CancellationToken.None);
        Assert.Equal(300L, Convert.ToInt64(rows.Rows.Single()[0], System.Globalization.CultureInfo.InvariantCulture));
        foreach (var odd in PipelineFixtures.OddPaths)
        {
            var hit = await engine.QueryAsync($"SELECT path FROM files WHERE path = {QueryEngine.Literal(odd)}", CancellationToken.None);
            Assert.Equal(odd, hit.Rows.Single()[0]);
        }
    }

    [Fact]
    public async Task Change_sets_on_an_s3_warehouse_hide_the_rows_they_replace_and_delete()
    {
        // Finding 7 end to end: the view reads local cache copies, deletes name s3:// locations.
        var location = new IndexLocation(Path.Combine(_dir, "idx"), Warehouse: "s3://qindex-test/changes");
        var expected = Store.ChangeSetTests.Tree();
        await using var store = await IndexStoreFactory.OpenAsync(location, CancellationToken.None);
        await Store.ChangeSetTests.ReplaceAsync(store, expected);
        await using (var changes = store.BeginChanges())
        {
            changes.Upsert(Store.ChangeSetTests.Row("/a/f01", 1));
            changes.Delete("/c/h01");
            changes.MoveSubtree("/a/b/odd/", "/c/o/");
            await changes.CommitAsync(null, new Dictionary<string, string> { ["at"] = "1" }, CancellationToken.None);
        }

        expected["/a/f01"] = 1;
        expected.Remove("/c/h01");
        foreach (var (path, size) in expected.Where(p => p.Key.StartsWith("/a/b/odd/", StringComparison.Ordinal)).ToList())
        {
            expected.Remove(path);
            expected["/c/o/" + path["/a/b/odd/".Length..]] = size;
        }

        Assert.Contains(_s3.Objects.Keys, k => k.EndsWith("-deletes.parquet", StringComparison.Ordinal));
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await Store.ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal("1", (await store.GetStatusAsync(CancellationToken.None)).Checkpoint["at"]);
    }
}
