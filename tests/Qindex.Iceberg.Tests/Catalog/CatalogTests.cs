using Qindex.Iceberg.Catalog;
using Qindex.Iceberg.Spec;
using Qindex.Iceberg.Table;
using Qindex.Iceberg.Tests.Spec;

namespace Qindex.Iceberg.Tests.Catalog;

/// <summary>
/// The same behaviour over every catalog: create once, commit by compare-and-swap, a stale commit
/// refused, concurrent writers both landing through retries. PostgreSQL runs when
/// QINDEX_TEST_PG names a server (.ci/run starts one); CI without it fails rather than skips.
/// </summary>
public sealed class CatalogTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qindex-catalog-").FullName;
    private RestCatalogServer? _rest;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_rest is not null)
        {
            await _rest.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    public static TheoryData<string> Kinds => ["sqlite", "postgres", "rest"];

    private string Warehouse => new Uri(Path.Combine(_dir, "warehouse")).AbsoluteUri;

    private async Task<ICatalog?> OpenAsync(string kind, string name)
    {
        switch (kind)
        {
            case "sqlite":
                return await SqlCatalog.OpenSqliteAsync(Path.Combine(_dir, "catalog.db"), Warehouse, CancellationToken.None, name);
            case "postgres":
                string? uri = Environment.GetEnvironmentVariable("QINDEX_TEST_PG");
                if (uri is null)
                {
                    Assert.Null(Environment.GetEnvironmentVariable("CI"));
                    return null;
                }

                return await SqlCatalog.OpenPostgresAsync(uri, Warehouse, CancellationToken.None, name);
            default:
                _rest ??= await RestCatalogServer.StartAsync(_dir);
                return await RestCatalog.OpenAsync(_rest.BaseAddress, null, new RestCatalogOptions { Token = RestCatalogServer.Token }, CancellationToken.None);
        }
    }

    private static DataFile File(string name, long rows) => new() { FilePath = "file:///nowhere/" + name + ".parquet", RecordCount = rows, FileSizeInBytes = rows * 10 };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Commits_swap_metadata_and_a_stale_base_is_refused(string kind)
    {
        string name = "cas-" + Guid.NewGuid().ToString("N")[..8];
        await using var catalog = await OpenAsync(kind, name);
        if (catalog is null)
        {
            return;
        }

        var id = new TableIdentifier("qindex", "t" + Guid.NewGuid().ToString("N")[..8]);
        var created = await catalog.CreateTableAsync(id, SpecTests.TestSchema, new SortOrder(1, [new SortField(1)]), new Dictionary<string, string> { ["a"] = "b" }, CancellationToken.None);
        var again = await catalog.CreateTableAsync(id, SpecTests.TestSchema, SortOrder.Unsorted, new Dictionary<string, string>(), CancellationToken.None);
        Assert.Equal(created.Metadata.TableUuid, again.Metadata.TableUuid);

        using var table = await IcebergTable.LoadOrCreateAsync(catalog, id, SpecTests.TestSchema, SortOrder.Unsorted, new Dictionary<string, string>(), CancellationToken.None);
        var first = await table.CommitAsync(new FileChange { Added = [File("a", 3)] }, CancellationToken.None);
        Assert.Equal(1, first.SequenceNumber);
        Assert.Equal("append", first.Operation);
        Assert.Equal("3", first.Summary["total-records"]);

        var loaded = await catalog.LoadTableAsync(id, CancellationToken.None);
        Assert.Equal(first.SnapshotId, loaded!.Metadata.CurrentSnapshotId);

        // A commit based on the table as it was before the first commit must be refused.
        var stale = new Snapshot(12345, null, 1, 0, first.ManifestList, new Dictionary<string, string> { ["operation"] = "append" }, 0);
        await Assert.ThrowsAsync<CommitConflictException>(() => catalog.CommitAsync(id, created, [new AddSnapshotUpdate(stale), new SetMainBranchUpdate(12345)], CancellationToken.None));

        var replaced = await table.CommitAsync(new FileChange { Added = [File("b", 5)], RemoveAll = true }, CancellationToken.None);
        Assert.Equal("overwrite", replaced.Operation);
        Assert.Equal("5", replaced.Summary["total-records"]);
        Assert.Equal("1", replaced.Summary["deleted-data-files"]);
        var live = await table.LiveEntriesAsync(CancellationToken.None);
        Assert.Equal("file:///nowhere/b.parquet", Assert.Single(live).DataFile.FilePath);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Concurrent_writers_both_land_through_retries(string kind)
    {
        string name = "race-" + Guid.NewGuid().ToString("N")[..8];
        await using var catalogA = await OpenAsync(kind, name);
        await using var catalogB = await OpenAsync(kind, name);
        if (catalogA is null || catalogB is null)
        {
            return;
        }

        var id = new TableIdentifier("qindex", "race");
        using var a = await IcebergTable.LoadOrCreateAsync(catalogA, id, SpecTests.TestSchema, SortOrder.Unsorted, new Dictionary<string, string>(), CancellationToken.None);
        using var b = await IcebergTable.LoadOrCreateAsync(catalogB, id, SpecTests.TestSchema, SortOrder.Unsorted, new Dictionary<string, string>(), CancellationToken.None);

        // b still holds the empty table when a commits: its first attempt conflicts, its retry lands.
        await a.CommitAsync(new FileChange { Added = [File("from-a", 1)] }, CancellationToken.None);
        var fromB = await b.CommitAsync(new FileChange { Added = [File("from-b", 2)] }, CancellationToken.None);
        Assert.Equal(2, fromB.SequenceNumber);

        var tasks = Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? a : b).CommitAsync(new FileChange { Added = [File("p" + i, 1)] }, CancellationToken.None));
        await Task.WhenAll(tasks);
        await a.RefreshAsync(CancellationToken.None);
        Assert.Equal(8, a.Metadata.LastSequenceNumber);
        var live = await a.LiveEntriesAsync(CancellationToken.None);
        Assert.Equal(8, live.Count);
        Assert.Equal("9", a.Metadata.CurrentSnapshot!.Summary["total-records"]);
        if (kind == "rest")
        {
            Assert.True(_rest!.Conflicts > 0);
        }
    }
}
