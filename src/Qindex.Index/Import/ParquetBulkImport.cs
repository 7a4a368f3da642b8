using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Qindex.Index.Query;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Import;

/// <summary>
/// The fast path for Parquet input: DuckDB reads each source file, normalizes types (integers
/// widened or narrowed with range checks, times to UTC microseconds) and writes it as one index
/// data file with Iceberg field ids, rows in the order they come, all in native code and on every
/// core. The rows are the same as reading record by record, at a fraction of the cost. Files are
/// not sorted (sorting cost as much as the rest of the import, see docs/decisions/0004): each is
/// registered unsorted with its true path bounds, and compaction sorts them later.
/// </summary>
public sealed class ParquetBulkImport : IAsyncDisposable
{
    private readonly DuckDBConnection _connection;

    private ParquetBulkImport(DuckDBConnection connection) => _connection = connection;

    /// <summary>Opens an in-process DuckDB for the import.</summary>
    public static async Task<ParquetBulkImport> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var order = connection.CreateCommand())
        {
            // Rows need no order within an import file; without it DuckDB writes on every core.
            order.CommandText = "SET preserve_insertion_order = false";
            await order.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var tz = connection.CreateCommand())
        {
            tz.CommandText = "SET TimeZone = 'UTC'";
            try
            {
                await tz.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DuckDBException)
            {
                // Without ICU there is no zone setting and naive times already convert as UTC.
            }
        }

        return new ParquetBulkImport(connection);
    }

    /// <summary>Imports one Parquet file into <paramref name="writer"/> as one unsorted data file.</summary>
    /// <exception cref="ImportSourceException">The file or one of its columns cannot be read.</exception>
    public async Task ImportFileAsync(string source, IBulkIndexWriter writer, DateTimeOffset ingestTs, Action<BadInput> onBad, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(onBad);
        var present = IndexParquetReader.Inspect(source);
        var src = $"read_parquet({QueryEngine.Literal(source)}, file_row_number = true)";

        try
        {
            if (await MayHaveRowsWithoutPathAsync(source, cancellationToken).ConfigureAwait(false))
            {
                await using var bad = _connection.CreateCommand();
                bad.CommandText = $"SELECT file_row_number FROM {src} WHERE path IS NULL OR path = '' ORDER BY file_row_number";
                await using var reader = await bad.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    onBad(new BadInput(source, reader.GetInt64(0) + 1, "row has no path"));
                }
            }

            var target = writer.NewDataFilePath();
            var select = new StringBuilder();
            var fieldIds = new StringBuilder();
            var columns = IndexColumns.All;
            for (var c = 0; c < columns.Count; c++)
            {
                var col = columns[c];
                var name = QueryEngine.Ident(col.Name);
                var type = col.Kind switch
                {
                    ColumnKind.String => "VARCHAR",
                    ColumnKind.Int32 => "INTEGER",
                    ColumnKind.Int64 => "BIGINT",
                    ColumnKind.Boolean => "BOOLEAN",
                    _ => "TIMESTAMPTZ",
                };
                string expr;
                if (!present[c])
                {
                    expr = $"CAST(NULL AS {type})";
                }
                else if (col.Kind == ColumnKind.TimestampTz)
                {
                    // Truncate nanoseconds toward earlier instants, as the records function does.
                    // Integer arithmetic on epoch_ns is as fast as copying the column; date_trunc
                    // and casts through TIMESTAMP cost a third of the import's time.
                    var ns = $"epoch_ns({name})";
                    expr = $"make_timestamptz(({ns} - ((({ns} % 1000) + 1000) % 1000)) // 1000)";
                }
                else
                {
                    expr = $"CAST({name} AS {type})";
                }

                if (col.Name == "ingest_ts")
                {
                    expr = $"COALESCE({expr}, CAST({QueryEngine.Literal(ingestTs.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture))} AS TIMESTAMP)::TIMESTAMPTZ)";
                }

                select.Append(c == 0 ? "" : ", ").Append(expr).Append(" AS ").Append(name);
                fieldIds.Append(c == 0 ? "" : ", ").Append(QueryEngine.Literal(col.Name)).Append(": ").Append(col.FieldId.ToString(CultureInfo.InvariantCulture));
            }

            await using (var copy = _connection.CreateCommand())
            {
                copy.CommandText =
                    $"COPY (SELECT {select} FROM {src} WHERE path IS NOT NULL AND path <> '') " +
                    $"TO {QueryEngine.Literal(target)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {IndexDataFileWriter.RowGroupRows}, FIELD_IDS {{{fieldIds}}})";
                await copy.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var stats = _connection.CreateCommand();
            // The footer has the row count and the path bounds; reading it avoids a scan of the file.
            stats.CommandText =
                $"SELECT CAST(sum(row_group_num_rows) AS BIGINT), min(stats_min_value), max(stats_max_value), bool_and(stats_min_value IS NOT NULL AND stats_max_value IS NOT NULL) " +
                $"FROM parquet_metadata({QueryEngine.Literal(target)}) WHERE path_in_schema = 'path'";
            await using var r = await stats.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await r.ReadAsync(cancellationToken).ConfigureAwait(false);
            var rows = r.IsDBNull(0) ? 0 : r.GetInt64(0);
            if (rows == 0)
            {
                File.Delete(target);
                return;
            }

            var (lower, upper) = r.GetBoolean(3)
                ? (r.GetString(1), r.GetString(2))
                : await ScanBoundsAsync(target, cancellationToken).ConfigureAwait(false);
            writer.AddDataFile(new IndexDataFile(target, rows, new FileInfo(target).Length, lower, upper) { Sorted = false });
        }
        catch (DuckDBException e)
        {
            throw new ImportSourceException($"{source}: {e.Message}", e);
        }
    }

    /// <summary>True unless the footer proves every path is present and non-empty.</summary>
    private async Task<bool> MayHaveRowsWithoutPathAsync(string source, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText =
            $"SELECT bool_or(stats_null_count IS NULL OR stats_null_count > 0 OR stats_min_value IS NULL OR stats_min_value = '') " +
            $"FROM parquet_metadata({QueryEngine.Literal(source)}) WHERE path_in_schema = 'path'";
        var result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return result is not bool b || b;
    }

    private async Task<(string Lower, string Upper)> ScanBoundsAsync(string file, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT min(path), max(path) FROM read_parquet({QueryEngine.Literal(file)})";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetString(0), reader.GetString(1));
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
