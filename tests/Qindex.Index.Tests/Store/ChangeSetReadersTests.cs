using System.Globalization;
using DuckDB.NET.Data;
using Qindex.Iceberg.IO;
using Qindex.Iceberg.Spec;
using Qindex.Index.Query;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>What change sets leave, read by engines qindex did not write: icebird (which applies v2 position deletes) and hyparquet.</summary>
public sealed class ChangeSetReadersTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Icebird_reads_the_state_after_change_sets_and_hyparquet_reads_the_delete_files()
    {
        // A space and a percent sign in the index directory make table locations percent-escaped URIs.
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(Path.Combine(_dir, "my 100% index")), CancellationToken.None, runRows: 30);
        var expected = ChangeSetTests.Tree();
        await ChangeSetTests.ReplaceAsync(store, expected);
        await using (var changes = store.BeginChanges())
        {
            foreach (var odd in PipelineFixtures.OddPaths)
            {
                changes.Upsert(ChangeSetTests.Row("/a/b" + odd, 7));
                expected["/a/b" + odd] = 7;
            }

            changes.Delete("/c/h01");
            expected.Remove("/c/h01");
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        await using (var changes = store.BeginChanges())
        {
            changes.MoveSubtree("/a/b/odd/", "/c/\u00e9t\u00e9 'x'/");
            changes.Delete("/c/h02");
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        expected.Remove("/c/h02");
        foreach (var (path, size) in expected.Where(p => p.Key.StartsWith("/a/b/odd/", StringComparison.Ordinal)).ToList())
        {
            expected.Remove(path);
            expected["/c/\u00e9t\u00e9 'x'/" + path["/a/b/odd/".Length..]] = size;
        }

        using var read = await NodeReaders.ReadIcebergAsync(store.Table.MetadataLocation);
        var icebird = read.RootElement.EnumerateArray().ToDictionary(
            r => r.GetProperty("path").GetString()!,
            r => long.Parse(r.GetProperty("size").ToString(), CultureInfo.InvariantCulture),
            StringComparer.Ordinal);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), icebird.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));

        // Every delete names a live data file by its table location and a row that exists there.
        var live = await store.Table.LiveEntriesAsync(CancellationToken.None);
        var dataFiles = live.Where(e => e.DataFile.Content == FileContent.Data).ToDictionary(e => e.DataFile.FilePath, e => e.DataFile, StringComparer.Ordinal);
        var deleteFiles = live.Where(e => e.DataFile.Content == FileContent.PositionDeletes).ToList();
        Assert.Equal(2, deleteFiles.Count);
        var deletedPaths = new List<string>();
        foreach (var entry in deleteFiles)
        {
            using var deletes = await NodeReaders.ReadParquetAsync(LocalFileIO.ToPath(entry.DataFile.FilePath));
            var rows = deletes.RootElement.EnumerateArray().Select(r => (File: r.GetProperty("file_path").GetString()!, Pos: long.Parse(r.GetProperty("pos").ToString(), CultureInfo.InvariantCulture))).ToList();
            Assert.Equal(entry.DataFile.RecordCount, rows.Count);
            Assert.Equal(rows.OrderBy(r => r.File, StringComparer.Ordinal).ThenBy(r => r.Pos), rows);
            foreach (var group in rows.GroupBy(r => r.File))
            {
                Assert.True(dataFiles.ContainsKey(group.Key), $"{group.Key} is not a live data file");
                using var data = await NodeReaders.ReadParquetAsync(LocalFileIO.ToPath(group.Key));
                deletedPaths.AddRange(group.Select(r => data.RootElement[(int)r.Pos].GetProperty("path").GetString()!));
            }
        }

        Assert.Contains("/c/h01", deletedPaths);
        Assert.Contains("/c/h02", deletedPaths);
        Assert.Contains("/a/b/odd/", deletedPaths);
        Assert.Contains("/a/b" + PipelineFixtures.OddPaths[3], deletedPaths);
    }

    [Fact]
    public async Task The_files_view_matches_deletes_by_table_location_not_by_local_cache_name()
    {
        // As on an S3 warehouse: the data file is read from a local cache copy whose name is not
        // the location the delete names.
        string cached = Path.Combine(_dir, "cache-0001.parquet");
        string deletes = Path.Combine(_dir, "deletes.parquet");
        const string location = "s3://bucket/warehouse/qindex/files/data/20260101-abc.parquet";
        await using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            await duck.OpenAsync();
            await using var command = duck.CreateCommand();
            command.CommandText = $"""
                COPY (SELECT '/p' || i AS path, i::BIGINT AS size FROM range(5) r(i)) TO {QueryEngine.Literal(cached)} (FORMAT parquet);
                COPY (SELECT {QueryEngine.Literal(location)} AS file_path, 3::BIGINT AS pos) TO {QueryEngine.Literal(deletes)} (FORMAT parquet);
                """;
            await command.ExecuteNonQueryAsync();
        }

        var scan = new IndexScan([cached], [deletes]) { DataFileLocations = [location] };
        Assert.Throws<ArgumentException>(() => QueryEngine.BuildFilesView(scan with { DataFileLocations = [] }));
        await using var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync();
        await using var view = connection.CreateCommand();
        view.CommandText = QueryEngine.BuildFilesView(scan).Replace(IndexColumnsSelect(), "d.path, d.size", StringComparison.Ordinal);
        await view.ExecuteNonQueryAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT string_agg(path, ',' ORDER BY path) FROM files";
        Assert.Equal("/p0,/p1,/p2,/p4", await query.ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_files_view_hides_each_deleted_position_in_its_own_data_file_only()
    {
        // Two data files with the same positions and columns in different orders; the deletes
        // name them by file: URI (no location list), position 1 of the first and 0 and 2 of the second.
        string first = Path.Combine(_dir, "first.parquet");
        string second = Path.Combine(_dir, "second's.parquet");
        string deletes = Path.Combine(_dir, "deletes-two.parquet");
        await using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            await duck.OpenAsync();
            await using var command = duck.CreateCommand();
            command.CommandText = $"""
                COPY (SELECT '/a' || i AS path, i::BIGINT AS size FROM range(3) r(i)) TO {QueryEngine.Literal(first)} (FORMAT parquet);
                COPY (SELECT (10 + i)::BIGINT AS size, '/b' || i AS path FROM range(3) r(i)) TO {QueryEngine.Literal(second)} (FORMAT parquet);
                COPY (SELECT * FROM (VALUES ({QueryEngine.Literal("file://" + first)}, 1::BIGINT), ({QueryEngine.Literal("file://" + second)}, 0::BIGINT), ({QueryEngine.Literal("file://" + second)}, 2::BIGINT)) v(file_path, pos)) TO {QueryEngine.Literal(deletes)} (FORMAT parquet);
                """;
            await command.ExecuteNonQueryAsync();
        }

        var scan = new IndexScan([first, second], [deletes]);
        await using var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync();
        await using var view = connection.CreateCommand();
        view.CommandText = QueryEngine.BuildFilesView(scan).Replace(IndexColumnsSelect(), "d.path, d.size", StringComparison.Ordinal);
        await view.ExecuteNonQueryAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT string_agg(path || ':' || size, ',' ORDER BY path) FROM files";
        Assert.Equal("/a0:0,/a2:2,/b1:11", await query.ExecuteScalarAsync());
    }

    /// <summary>The select list the view uses, replaced in the test by the two columns the fixture file has.</summary>
    private static string IndexColumnsSelect() =>
        string.Join(", ", Qindex.Index.Records.IndexColumns.All.Select(c => c.Kind == Qindex.Index.Records.ColumnKind.TimestampTz
            ? $"CAST(d.{QueryEngine.Ident(c.Name)} AS TIMESTAMP) AS {QueryEngine.Ident(c.Name)}"
            : $"d.{QueryEngine.Ident(c.Name)}"));
}
