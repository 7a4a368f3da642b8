using Qindex.Index.Import;
using Qindex.Index.Query;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

public sealed class IcebergIndexStoreTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static FileRecord Row(string path, long size) => new() { Path = path, Size = size, Name = Path.GetFileName(path) };

    [Fact]
    public async Task Status_counts_rows_files_snapshots_and_baseline()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 40);
        var empty = await store.GetStatusAsync(CancellationToken.None);
        Assert.Equal(0, empty.Rows);
        Assert.Null(empty.LastCommit);

        var taken = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await using (var writer = store.BeginReplace())
        {
            for (var i = 99; i >= 0; i--)
            {
                await writer.AddAsync(Row($"/r/{i:D3}", i), CancellationToken.None);
            }

            await writer.CommitAsync(new IndexBaseline("cluster.example", "/r", "42", taken), CancellationToken.None);
        }

        var status = await store.GetStatusAsync(CancellationToken.None);
        Assert.Equal(100, status.Rows);
        Assert.Equal(3, status.DataFiles); // runs of 40, 40, 20
        Assert.Equal(0, status.DeleteFiles);
        Assert.Equal(1, status.Snapshots);
        Assert.Equal(new IndexBaseline("cluster.example", "/r", "42", taken), status.Baseline);
        var scan = await store.ScanAsync(CancellationToken.None);
        Assert.Equal(scan.DataFiles.Sum(f => new FileInfo(f).Length), status.DataBytes);
        Assert.NotNull(status.LastCommit);

        // A second replace supersedes the first and removes its files.
        await using (var writer = store.BeginReplace())
        {
            await writer.AddAsync(Row("/only", 1), CancellationToken.None);
            await writer.CommitAsync(null, CancellationToken.None);
        }

        var second = await store.GetStatusAsync(CancellationToken.None);
        Assert.Equal(1, second.Rows);
        Assert.Equal(2, second.Snapshots);
        Assert.Null(second.Baseline);

        // The superseded files stay for readers that started before the commit, until expiry
        // finds their snapshot older than the table's maximum age.
        Assert.All(scan.DataFiles, f => Assert.True(File.Exists(f)));
        await using (var writer = store.BeginReplace())
        {
            await writer.AddAsync(Row("/only", 1), CancellationToken.None);
            await writer.CommitAsync(null, CancellationToken.None);
        }

        Assert.All(scan.DataFiles, f => Assert.True(File.Exists(f)));
        Assert.Equal(3, (await store.GetStatusAsync(CancellationToken.None)).Snapshots);
        var expiry = await store.Table.ExpireSnapshotsAsync(DateTimeOffset.UtcNow.AddMinutes(1), 1, CancellationToken.None);
        Assert.Equal(2, expiry.SnapshotsRemoved);
        Assert.All(scan.DataFiles, f => Assert.False(File.Exists(f)));
        Assert.Equal(1, (await store.GetStatusAsync(CancellationToken.None)).Snapshots);
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var rows = await engine.QueryAsync("SELECT path, size FROM files", CancellationToken.None);
        Assert.Equal("/only", rows.Rows.Single()[0]);
    }

    [Fact]
    public async Task Abandoned_write_leaves_index_and_directory_as_they_were()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 10);
        await using (var writer = store.BeginReplace())
        {
            await writer.AddAsync(Row("/kept", 5), CancellationToken.None);
            await writer.CommitAsync(null, CancellationToken.None);
        }

        var filesBefore = Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        await using (var writer = store.BeginReplace())
        {
            for (var i = 0; i < 35; i++)
            {
                await writer.AddAsync(Row($"/lost/{i}", i), CancellationToken.None);
            }
        }

        Assert.Equal(filesBefore, Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray());
        var status = await store.GetStatusAsync(CancellationToken.None);
        Assert.Equal(1, status.Rows);
    }

    [Fact]
    public async Task Import_through_the_factory_round_trips_odd_paths()
    {
        var source = Path.Combine(_dir, "src.parquet");
        await PipelineFixtures.WriteUsersParquetAsync(source, 500);
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(Path.Combine(_dir, "idx")), CancellationToken.None);
        var result = await IndexImporter.ImportAsync(ImportSources.Expand([source]), store, null, CancellationToken.None);
        Assert.Equal(500, result.RowsImported);
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        foreach (var odd in PipelineFixtures.OddPaths)
        {
            var hit = await engine.QueryAsync($"SELECT path, size FROM files WHERE path = {QueryEngine.Literal(odd)}", CancellationToken.None);
            Assert.Equal(odd, hit.Rows.Single()[0]);
            Assert.Equal(7L, hit.Rows.Single()[1]);
        }
    }
}
