using System.Text;
using DuckDB.NET.Data;
using Qindex.Index.Import;
using Qindex.Index.Query;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Import;

/// <summary>
/// Review finding 6 of issue 8 (second half): every data file qindex writes declares the fields the
/// Iceberg schema marks required (path) REQUIRED in its Parquet schema, imports included; the
/// others stay OPTIONAL. Read with ParquetSharp and, independently, with hyparquet.
/// </summary>
public sealed class ImportRequiredFieldsTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Parquet_import_writes_data_files_that_declare_required_fields_required()
    {
        var first = Path.Combine(_dir, "in", "a.parquet");
        var second = Path.Combine(_dir, "in", "b.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(first)!);
        await PipelineFixtures.WriteUsersParquetAsync(first, 2500);
        await PipelineFixtures.WriteUsersParquetAsync(second, 700);
        var files = await ImportAsync(Path.GetDirectoryName(first)!, 3200);
        Assert.Equal(2, files.Count);
        foreach (var file in files)
        {
            await AssertRequiredFieldsRequiredAsync(file);
        }
    }

    [Fact]
    public async Task Ndjson_import_writes_data_files_that_declare_required_fields_required()
    {
        var source = Path.Combine(_dir, "walk.ndjson");
        await using (var writer = new StreamWriter(source, false, new UTF8Encoding(false)))
        {
            for (var i = 0; i < 500; i++)
            {
                await writer.WriteLineAsync(PipelineFixtures.AttributeJson($"/d/{i:D4}", i));
            }
        }

        foreach (var file in await ImportAsync(source, 500))
        {
            await AssertRequiredFieldsRequiredAsync(file);
        }
    }

    /// <summary>
    /// The column copy converts what the record reader converts, the same way: unsigned and wider
    /// integers, millisecond and zoned times, missing columns and ingest times, and a whole output row
    /// group's worth of rows without a path (so that row group is skipped).
    /// </summary>
    [Fact]
    public async Task Bulk_Parquet_import_gives_the_rows_the_record_reader_gives()
    {
        var source = Path.Combine(_dir, "odd.parquet");
        await using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            await duck.OpenAsync();
            await using var command = duck.CreateCommand();
            command.CommandText = $"""
                COPY (SELECT
                  CASE WHEN i BETWEEN 60000 AND 135000 THEN NULL WHEN i % 1000 = 7 THEN '' ELSE '/o/' || i || '/é' END AS path,
                  CASE WHEN i % 3 = 0 THEN NULL ELSE 'n' || i END AS name,
                  (i % 1000)::BIGINT AS mode,
                  (i * 3)::UINTEGER AS owner,
                  (i % 60000)::USMALLINT AS child_count,
                  make_timestamp(1700000000000000 + i * 1234567)::TIMESTAMP_MS AS access_time,
                  make_timestamp(1700000000000000 + i * 7654321)::TIMESTAMPTZ AS modification_time,
                  make_timestamp_ns(-1000000000000000000 + i * 999) AS creation_time,
                  i % 2 = 0 AS ea_hidden,
                  CASE WHEN i % 5 = 0 THEN NULL ELSE make_timestamp(1600000000000000 + i) END AS ingest_ts
                FROM range(140000) t(i)) TO {QueryEngine.Literal(source)} (FORMAT parquet, ROW_GROUP_SIZE 200000)
                """;
            await command.ExecuteNonQueryAsync();
        }

        var bulk = await RowsAsync(source, bulk: true);
        var records = await RowsAsync(source, bulk: false);
        Assert.Equal(140_000 - 75_001 - 65, bulk.Count);
        Assert.Equal(records.Count, bulk.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var row = i;
            Assert.True(records[i].SequenceEqual(bulk[i]), $"row {row}: record reader {string.Join(", ", records[row])}; bulk {string.Join(", ", bulk[row])}");
        }
    }

    /// <summary>
    /// A source whose columns are REQUIRED (qindex's own data files: path has no definition
    /// levels) imports as the record reader reads it.
    /// </summary>
    [Fact]
    public async Task A_data_file_qindex_wrote_imports_as_Parquet_with_the_record_readers_rows()
    {
        var walk = Path.Combine(_dir, "walk.ndjson");
        await File.WriteAllLinesAsync(walk, Enumerable.Range(0, 3000).Select(i => PipelineFixtures.AttributeJson($"/r/{i:D5}", i)));
        var written = Assert.Single(await ImportAsync(walk, 3000));
        var source = Path.Combine(_dir, "own.parquet");
        File.Copy(written, source);

        var bulk = await RowsAsync(source, bulk: true);
        var records = await RowsAsync(source, bulk: false);
        Assert.Equal(3000, bulk.Count);
        Assert.Equal(records.Count, bulk.Count);
        for (var i = 0; i < records.Count; i++)
        {
            Assert.Equal(records[i], bulk[i]);
        }
    }

    [Fact]
    public async Task Bulk_Parquet_import_refuses_an_unsigned_value_beyond_the_column_range()
    {
        var source = Path.Combine(_dir, "big.parquet");
        await using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            await duck.OpenAsync();
            await using var command = duck.CreateCommand();
            command.CommandText = $"COPY (SELECT '/p/' || i AS path, (2147483640 + i)::UINTEGER AS mode FROM range(10) t(i)) TO {QueryEngine.Literal(source)} (FORMAT parquet)";
            await command.ExecuteNonQueryAsync();
        }

        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(Path.Combine(_dir, "index")), CancellationToken.None);
        var error = await Assert.ThrowsAsync<ImportSourceException>(() => IndexImporter.ImportAsync(ImportSources.Expand([source]), store, null, CancellationToken.None));
        Assert.Contains("'mode' holds 2147483648", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await store.GetStatusAsync(CancellationToken.None)).DataFiles);
    }

    private async Task<List<object?[]>> RowsAsync(string source, bool bulk)
    {
        var store = new DirectoryIndexStore(Path.Combine(_dir, bulk ? "bulk" : "records"), bulk: bulk);
        await IndexImporter.ImportAsync(ImportSources.Expand([source]), store, null, CancellationToken.None);
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var rows = await engine.QueryAsync(
            $"SELECT path, name, mode, owner, child_count, access_time, modification_time, creation_time, ea_hidden, file_number, " +
            $"CASE WHEN ingest_ts > TIMESTAMPTZ '2025-01-01' THEN 'now' ELSE CAST(ingest_ts AS VARCHAR) END FROM files ORDER BY path",
            CancellationToken.None);
        return [.. rows.Rows];
    }

    private async Task<IReadOnlyList<string>> ImportAsync(string source, long rows)
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(Path.Combine(_dir, "index")), CancellationToken.None);
        var result = await IndexImporter.ImportAsync(ImportSources.Expand([source]), store, null, CancellationToken.None);
        Assert.Equal(rows, result.RowsImported);
        var files = (await store.ScanAsync(CancellationToken.None)).DataFiles;
        Assert.NotEmpty(files);
        return files;
    }

    private static async Task AssertRequiredFieldsRequiredAsync(string file)
    {
        var expected = IndexColumns.All.ToDictionary(c => c.Name, c => c.Required);
        long rows;
        using (var reader = new ParquetSharp.ParquetFileReader(file))
        {
            rows = reader.FileMetaData.NumRows;
            var schema = reader.FileMetaData.Schema;
            Assert.Equal(expected.Count, schema.NumColumns);
            for (var i = 0; i < schema.NumColumns; i++)
            {
                using var node = schema.Column(i).SchemaNode;
                var want = expected[node.Name] ? ParquetSharp.Repetition.Required : ParquetSharp.Repetition.Optional;
                Assert.True(want == node.Repetition, $"{Path.GetFileName(file)}: column {node.Name} is {node.Repetition}, the Iceberg schema says {want}");
            }
        }

        using var hyparquet = await NodeReaders.ReadParquetSchemaAsync(file);
        var columns = hyparquet.RootElement.EnumerateArray().Skip(1).ToList();
        Assert.Equal(expected.Count, columns.Count);
        foreach (var column in columns)
        {
            var name = column.GetProperty("name").GetString()!;
            var repetition = column.GetProperty("repetition_type").GetString();
            Assert.True((expected[name] ? "REQUIRED" : "OPTIONAL") == repetition, $"hyparquet: {Path.GetFileName(file)}: column {name} is {repetition}");
        }

        // hyparquet also reads the values: every row, each with a path.
        using var values = await NodeReaders.ReadParquetAsync(file);
        Assert.Equal(rows, values.RootElement.GetArrayLength());
        Assert.All(values.RootElement.EnumerateArray(), row => Assert.False(string.IsNullOrEmpty(row.GetProperty("path").GetString())));
    }
}
