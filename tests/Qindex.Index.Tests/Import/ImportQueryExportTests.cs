using System.Globalization;
using DuckDB.NET.Data;
using Qindex.Index.Export;
using Qindex.Index.Import;
using Qindex.Index.Query;

namespace Qindex.Index.Tests.Import;

public sealed class ImportQueryExportTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(DirectoryIndexStore Store, ImportResult Result, string Source)> ImportUsersParquetAsync(int rows, bool bulk = true)
    {
        var sourceDir = Path.Combine(_dir, "users");
        Directory.CreateDirectory(Path.Combine(sourceDir, "nested"));
        var source = Path.Combine(sourceDir, "nested", "part-1.parquet");
        await PipelineFixtures.WriteUsersParquetAsync(source, rows);
        var store = new DirectoryIndexStore(Path.Combine(_dir, "index"), runRows: 700, bulk: bulk);
        var result = await IndexImporter.ImportAsync(ImportSources.Expand([sourceDir]), store, null, CancellationToken.None);
        return (store, result, source);
    }

    private static async Task<object?[][]> RowsAsync(DuckDBConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows.ToArray();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Users_parquet_imports_and_queries_match_the_source(bool bulk)
    {
        var (store, result, source) = await ImportUsersParquetAsync(3000, bulk);
        Assert.Equal(3000, result.RowsImported);
        Assert.Equal(0, result.BadLines);
        Assert.Equal(1, result.FilesRead);

        var scan = await store.ScanAsync(CancellationToken.None);
        Assert.Equal(bulk ? 1 : 5, scan.DataFiles.Count); // bulk: one file per source; otherwise runs of 700
        foreach (var dataFile in scan.DataFiles)
        {
            // Bulk imports write rows as they come (compaction sorts them); record by record sorts runs.
            AssertSortedWithFieldIds(dataFile, sorted: !bulk);
        }

        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        await using var duck = new DuckDBConnection("DataSource=:memory:");
        await duck.OpenAsync();
        var src = QueryEngine.Literal(source);

        var ours = await engine.QueryAsync("SELECT count(*), sum(size), count(file_number), sum(mode), sum(owner), count(*) FILTER (WHERE ea_hidden) FROM files", CancellationToken.None);
        var theirs = await RowsAsync(duck, $"SELECT count(*), sum(size), count(file_number), sum(mode), sum(owner), count(*) FILTER (WHERE ea_hidden) FROM read_parquet({src})");
        Assert.Equal(theirs[0], ours.Rows[0]);

        // Nanosecond times become microseconds, truncated, same instant otherwise.
        var times = await engine.QueryAsync("SELECT path, access_time, modification_time, ingest_ts FROM files WHERE path NOT LIKE '/odd/%' ORDER BY path", CancellationToken.None);
        var srcTimes = await RowsAsync(duck, $"SELECT path, date_trunc('microseconds', access_time)::TIMESTAMP, modification_time::TIMESTAMP, ingest_ts::TIMESTAMP FROM read_parquet({src}) WHERE path NOT LIKE '/odd/%' ORDER BY path");
        Assert.Equal(srcTimes.Length, times.Rows.Count);
        for (var i = 0; i < srcTimes.Length; i++)
        {
            Assert.Equal(srcTimes[i], times.Rows[i]);
        }

        // Rows without an ingest time get the import's.
        var missingIngest = await engine.QueryAsync("SELECT count(*) FROM files WHERE ingest_ts IS NULL", CancellationToken.None);
        Assert.Equal(0L, missingIngest.Rows[0][0]);

        // Every odd path comes back exactly.
        var paths = await engine.QueryAsync("SELECT path FROM files WHERE path LIKE '/odd/%'", CancellationToken.None);
        Assert.Equal(PipelineFixtures.OddPaths.Order(StringComparer.Ordinal), paths.Rows.Select(r => (string)r[0]!).Order(StringComparer.Ordinal));
    }

    private static void AssertSortedWithFieldIds(string dataFile, bool sorted = true)
    {
        using var reader = new ParquetSharp.ParquetFileReader(dataFile);
        var schema = reader.FileMetaData.Schema;
        for (var i = 0; i < schema.NumColumns; i++)
        {
            using var node = schema.Column(i).SchemaNode;
            Assert.Equal(Qindex.Index.Records.IndexColumns.All[i].FieldId, node.FieldId);
            Assert.Equal(Qindex.Index.Records.IndexColumns.All[i].Name, node.Name);
        }

        var paths = new List<string>();
        for (var g = 0; g < reader.FileMetaData.NumRowGroups; g++)
        {
            using var rowGroup = reader.RowGroup(g);
            using var column = rowGroup.Column(0).LogicalReader<string>();
            paths.AddRange(column.ReadAll((int)rowGroup.MetaData.NumRows));
        }

        if (sorted)
        {
            Assert.Equal(paths.Order(Qindex.Index.Store.PathOrder.Instance), paths);
        }
    }

    [Fact]
    public async Task Large_parquet_is_read_in_many_batches()
    {
        var source = Path.Combine(_dir, "big.parquet");
        await PipelineFixtures.WriteUsersParquetAsync(source, 5000);
        var seen = 0L;
        var batches = 0;
        await IndexParquetReader.ReadAsync(source, null, b => { seen += b.Length; batches++; return ValueTask.CompletedTask; }, _ => { }, CancellationToken.None, batchRows: 700);
        Assert.Equal(5000, seen);
        Assert.Equal(8, batches);
    }

    [Fact]
    public async Task Export_matches_the_users_schema_and_old_queries_agree()
    {
        var (store, _, source) = await ImportUsersParquetAsync(2000);
        var outDir = Path.Combine(_dir, "export");
        var export = await IndexExporter.ExportAsync(await store.ScanAsync(CancellationToken.None), outDir, CancellationToken.None);
        Assert.Equal(2000, export.Rows);
        Assert.NotEmpty(export.Files);

        await using var duck = new DuckDBConnection("DataSource=:memory:");
        await duck.OpenAsync();
        var exported = QueryEngine.Literal(outDir + "/**/*.parquet");
        var original = QueryEngine.Literal(source);

        // Same column names and types as the users' pyarrow-written file.
        var exportedSchema = await RowsAsync(duck, $"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet({exported}))");
        var originalSchema = await RowsAsync(duck, $"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet({original}))");
        Assert.Equal(originalSchema, exportedSchema);

        // Old queries give identical answers on the old dataset and on the export.
        string[] oldQueries =
        [
            "SELECT count(*), sum(size), max(size), min(modification_time) FROM read_parquet({0})",
            "SELECT split_part(path, '/', 2) AS top, count(*) AS n, sum(size) AS bytes FROM read_parquet({0}) GROUP BY top ORDER BY top",
            "SELECT owner, group_id_value, count(*) FROM read_parquet({0}) WHERE ea_archive GROUP BY ALL ORDER BY ALL",
            "SELECT name, size FROM read_parquet({0}) WHERE modification_time < TIMESTAMP '2023-07-23 00:00:00' ORDER BY size DESC, name LIMIT 20",
            "SELECT path, \"group\", mode, file_number FROM read_parquet({0}) WHERE path LIKE '/odd/%' ORDER BY path",
            "SELECT date_trunc('day', creation_time) AS day, count(*) FROM read_parquet({0}) GROUP BY day ORDER BY day",
        ];
        foreach (var q in oldQueries)
        {
            var a = await RowsAsync(duck, string.Format(CultureInfo.InvariantCulture, q, original));
            var b = await RowsAsync(duck, string.Format(CultureInfo.InvariantCulture, q, exported));
            Assert.NotEmpty(a);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public async Task Ndjson_bad_lines_are_counted_with_line_numbers()
    {
        var file = Path.Combine(_dir, "walk.ndjson");
        var lines = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            lines.Add(PipelineFixtures.AttributeJson($"/walk/f{i}", i));
        }

        lines[4] = "{\"path\": \"/broken\", ";                                 // line 5: malformed JSON
        lines[9] = "{\"name\":\"no path\"}";                                      // line 10: missing path
        lines[19] = PipelineFixtures.AttributeJson("/walk/bad-size", 1).Replace("\"size\":\"1\"", "\"size\":\"1x\"", StringComparison.Ordinal); // line 20
        lines[29] = "";                                                          // blank line, skipped
        lines[39] = "{\"entry\":" + PipelineFixtures.AttributeJson("/walk/wrapped", 99) + ",\"extra\":1}"; // wrapped object
        await File.WriteAllLinesAsync(file, lines);

        var store = new DirectoryIndexStore(Path.Combine(_dir, "index"));
        var result = await IndexImporter.ImportAsync(ImportSources.Expand([file]), store, null, CancellationToken.None);
        Assert.Equal(3, result.BadLines);
        Assert.Equal([5L, 10L, 20L], result.FirstBadLines.Select(b => b.Line));
        Assert.All(result.FirstBadLines, b => Assert.Equal(file, b.File));
        Assert.Contains("size", result.FirstBadLines[2].Reason, StringComparison.Ordinal);
        Assert.Contains("1x", result.FirstBadLines[2].Reason, StringComparison.Ordinal);
        Assert.Equal(46, result.RowsImported);

        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var q = await engine.QueryAsync("SELECT size, mode, file_number, modification_time FROM files WHERE path = '/walk/wrapped'", CancellationToken.None);
        Assert.Equal(99L, q.Rows[0][0]);
        Assert.Equal(420, q.Rows[0][1]);
        Assert.Null(q.Rows[0][2]);
        Assert.Equal(new DateTime(2024, 3, 1, 10, 20, 30).AddTicks(1234560), q.Rows[0][3]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Parquet_rows_without_path_are_bad_rows_with_numbers(bool bulk)
    {
        var source = Path.Combine(_dir, "nopath.parquet");
        await using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            await duck.OpenAsync();
            await using var command = duck.CreateCommand();
            command.CommandText = $"COPY (SELECT CASE WHEN i = 3 THEN NULL WHEN i = 6 THEN '' ELSE '/p/' || i END AS path, i::BIGINT AS size FROM range(10) t(i)) TO {QueryEngine.Literal(source)} (FORMAT parquet)";
            await command.ExecuteNonQueryAsync();
        }

        var store = new DirectoryIndexStore(Path.Combine(_dir, "index"), bulk: bulk);
        var result = await IndexImporter.ImportAsync(ImportSources.Expand([source]), store, null, CancellationToken.None);
        Assert.Equal(8, result.RowsImported);
        Assert.Equal(2, result.BadLines);
        Assert.Equal([4L, 7L], result.FirstBadLines.Select(b => b.Line));
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var sum = await engine.QueryAsync("SELECT count(*), sum(size), min(path), max(path) FROM files", CancellationToken.None);
        Assert.Equal([8L, (System.Numerics.BigInteger)36, "/p/0", "/p/9"], sum.Rows[0].Select(v => v is decimal d ? (System.Numerics.BigInteger)d : v));
    }

    [Fact]
    public async Task Failed_import_leaves_the_previous_index_unchanged()
    {
        var (store, _, _) = await ImportUsersParquetAsync(1500);
        var before = await store.ScanAsync(CancellationToken.None);
        var dataDir = Path.Combine(store.Directory, "data");
        var filesBefore = Directory.GetFiles(dataDir).Order(StringComparer.Ordinal).ToArray();

        // A good NDJSON file first, so the failing import has written data files before it fails.
        var good = Path.Combine(_dir, "a-good.ndjson");
        await File.WriteAllLinesAsync(good, Enumerable.Range(0, 2500).Select(i => PipelineFixtures.AttributeJson($"/new/{i}", i)));
        var wrongType = Path.Combine(_dir, "b-wrong.parquet");
        await using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            await duck.OpenAsync();
            await using var command = duck.CreateCommand();
            command.CommandText = $"COPY (SELECT '/x' AS path, 'big' AS size) TO {QueryEngine.Literal(wrongType)} (FORMAT parquet)";
            await command.ExecuteNonQueryAsync();
        }

        var error = await Assert.ThrowsAsync<ImportSourceException>(() =>
            IndexImporter.ImportAsync(ImportSources.Expand([good, wrongType]), store, null, CancellationToken.None));
        Assert.Contains(wrongType, error.Message, StringComparison.Ordinal);
        Assert.Contains("'size'", error.Message, StringComparison.Ordinal);

        var after = await store.ScanAsync(CancellationToken.None);
        Assert.Equal(before.DataFiles, after.DataFiles);
        Assert.Equal(filesBefore, Directory.GetFiles(dataDir).Order(StringComparer.Ordinal).ToArray());
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var count = await engine.QueryAsync("SELECT count(*) FROM files", CancellationToken.None);
        Assert.Equal(1500L, count.Rows[0][0]);
    }

    [Fact]
    public async Task Position_deletes_hide_rows_in_the_view()
    {
        var (store, _, _) = await ImportUsersParquetAsync(1000);
        var scan = await store.ScanAsync(CancellationToken.None);
        var deleteFile = Path.Combine(_dir, "deletes.parquet");
        await using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            await duck.OpenAsync();
            await using var command = duck.CreateCommand();
            // Rows 0 and 2 of the first data file, named as a file: URI the way Iceberg writes locations.
            command.CommandText = $"COPY (SELECT * FROM (VALUES ({QueryEngine.Literal("file://" + scan.DataFiles[0])}, 0::BIGINT), ({QueryEngine.Literal(scan.DataFiles[0])}, 2::BIGINT)) v(file_path, pos)) TO {QueryEngine.Literal(deleteFile)} (FORMAT parquet)";
            await command.ExecuteNonQueryAsync();
        }

        await using var plain = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var deleted = await plain.QueryAsync($"SELECT path FROM read_parquet({QueryEngine.Literal(scan.DataFiles[0])}, file_row_number = true) WHERE file_row_number IN (0, 2)", CancellationToken.None);
        store.ExtraDeleteFiles.Add(deleteFile);
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var count = await engine.QueryAsync("SELECT count(*) FROM files", CancellationToken.None);
        Assert.Equal(998L, count.Rows[0][0]);
        foreach (var row in deleted.Rows)
        {
            await using var reader = await engine.ExecuteReaderAsync($"SELECT count(*) FROM files WHERE path = {QueryEngine.Literal((string)row[0]!)}", CancellationToken.None);
            Assert.True(await reader.ReadAsync());
            Assert.Equal(0L, reader.GetInt64(0));
        }
    }

    [Fact]
    public async Task Bad_sql_gives_one_clear_message()
    {
        var store = new DirectoryIndexStore(Path.Combine(_dir, "index"));
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var empty = await engine.QueryAsync("SELECT count(*), sum(size) FROM files", CancellationToken.None);
        Assert.Equal(0L, empty.Rows[0][0]);
        var error = await Assert.ThrowsAsync<QueryException>(() => engine.QueryAsync("SELECT no_such_column FROM files", CancellationToken.None));
        Assert.Contains("no_such_column", error.Message, StringComparison.Ordinal);
    }
}

public sealed class QueryOutputTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A minimal RFC 4180 reader, to prove what was written parses back to the same fields.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(field.ToString());
                field.Clear();
                rows.Add(row);
                row = [];
                i++;
            }
            else
            {
                field.Append(c);
            }
        }

        return rows;
    }

    [Fact]
    public async Task Csv_and_json_round_trip_odd_paths()
    {
        var source = Path.Combine(_dir, "src.parquet");
        await PipelineFixtures.WriteUsersParquetAsync(source, 100);
        var store = new DirectoryIndexStore(Path.Combine(_dir, "idx"));
        await IndexImporter.ImportAsync(ImportSources.Expand([source]), store, null, CancellationToken.None);
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        const string sql = "SELECT path, size FROM files WHERE path LIKE '/odd/%' ORDER BY path";

        var csv = new StringWriter();
        await using (var reader = await engine.ExecuteReaderAsync(sql, CancellationToken.None))
        {
            Assert.Equal(PipelineFixtures.OddPaths.Length, await QueryOutput.WriteCsvAsync(reader, csv, CancellationToken.None));
        }

        var parsed = ParseCsv(csv.ToString());
        Assert.Equal(["path", "size"], parsed[0]);
        Assert.Equal(PipelineFixtures.OddPaths.Order(StringComparer.Ordinal), parsed.Skip(1).Select(r => r[0]).Order(StringComparer.Ordinal));
        Assert.All(parsed.Skip(1), r => Assert.Equal("7", r[1]));

        var json = new StringWriter();
        await using (var reader = await engine.ExecuteReaderAsync(sql, CancellationToken.None))
        {
            await QueryOutput.WriteJsonLinesAsync(reader, json, CancellationToken.None);
        }

        var lines = json.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var paths = lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).Select(e =>
        {
            Assert.Equal(7, e.GetProperty("size").GetInt64());
            return e.GetProperty("path").GetString()!;
        });
        Assert.Equal(PipelineFixtures.OddPaths.Order(StringComparer.Ordinal), paths.Order(StringComparer.Ordinal));
    }
}
