using DuckDB.NET.Data;
using Qindex.Index.Import;
using Qindex.Index.Query;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Import;

public sealed class ParquetBulkImportTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task One_file_alone_is_split_by_row_groups_and_bad_rows_keep_their_file_numbers()
    {
        var source = Path.Combine(_dir, "one.parquet");
        await using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            await duck.OpenAsync();
            await using var command = duck.CreateCommand();
            // Four row groups of 2,048 rows; rows 5 and 7,000 (1-based 6 and 7,001) have no path.
            command.CommandText = $"COPY (SELECT CASE WHEN i IN (5, 7000) THEN NULL ELSE '/s/' || i END AS path, i::BIGINT AS size FROM range(8192) t(i)) TO {QueryEngine.Literal(source)} (FORMAT parquet, ROW_GROUP_SIZE 2048)";
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal([0..2, 2..4], ParquetBulkImport.Split(source, 2));
        Assert.Single(ParquetBulkImport.Split(source, 1));

        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(Path.Combine(_dir, "index")), CancellationToken.None);
        var result = await IndexImporter.ImportAsync(ImportSources.Expand([source]), store, null, CancellationToken.None);
        Assert.Equal(8190, result.RowsImported);
        Assert.Equal([6L, 7001L], result.FirstBadLines.Select(b => b.Line));
        var live = await store.Table.LiveEntriesAsync(CancellationToken.None);
        Assert.Equal(4, live.Count); // two parts per core at least: here one per row group
        Assert.Equal([2047L, 2047L, 2048L, 2048L], live.Select(e => e.DataFile.RecordCount).Order());
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var sum = await engine.QueryAsync("SELECT count(DISTINCT path), CAST(sum(size) AS BIGINT) FROM files", CancellationToken.None);
        Assert.Equal(8190L, sum.Rows[0][0]);
        Assert.Equal((8191L * 8192 / 2) - 5 - 7000, sum.Rows[0][1]);
    }

    [Fact]
    public async Task Split_balances_rows_not_row_groups()
    {
        var source = Path.Combine(_dir, "uneven.parquet");
        await using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            await duck.OpenAsync();
            await using var command = duck.CreateCommand();
            // Row groups of 2,048, 2,048 and 100 rows: the best two parts are [0] and [1, 2].
            command.CommandText = $"COPY (SELECT '/u/' || i AS path FROM range(4196) t(i)) TO {QueryEngine.Literal(source)} (FORMAT parquet, ROW_GROUP_SIZE 2048)";
            await command.ExecuteNonQueryAsync();
        }

        Assert.Equal([0..1, 1..3], ParquetBulkImport.Split(source, 2));
        Assert.Equal([0..1, 1..2, 2..3], ParquetBulkImport.Split(source, 5));
    }
}
