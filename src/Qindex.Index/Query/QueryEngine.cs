using System.Data.Common;
using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Query;

/// <summary>The user's SQL failed (syntax, unknown column, type error); the message is DuckDB's.</summary>
public sealed class QueryException : Exception
{
    public QueryException(string message)
        : base(message)
    {
    }

    public QueryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public QueryException()
        : base("the query failed")
    {
    }
}

/// <summary>A materialized query result: column names and rows of CLR values (null for SQL NULL).</summary>
public sealed record QueryResult(IReadOnlyList<string> Columns, IReadOnlyList<object?[]> Rows);

/// <summary>
/// Runs SQL with DuckDB in-process over a view named <c>files</c> that shows the current state of
/// the index: the scan's data files with its position deletes applied. Columns keep the names and
/// types of the users' existing index (times as TIMESTAMP in UTC), so their queries run unchanged.
/// </summary>
public sealed class QueryEngine : IAsyncDisposable
{
    /// <summary>The column the files view numbers each data file's rows with; not an index column.</summary>
    private const string FileNumberColumn = "qindex_file_number";

    private readonly DuckDBConnection _connection;

    private QueryEngine(DuckDBConnection connection) => _connection = connection;

    /// <summary>Opens an engine over the current state of <paramref name="store"/>.</summary>
    /// <exception cref="QueryException">The index's data files cannot be read (missing or damaged).</exception>
    public static async Task<QueryEngine> OpenAsync(IIndexStore store, CancellationToken cancellationToken, QueryEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var scan = await store.ScanAsync(cancellationToken).ConfigureAwait(false);
        return await OpenAsync(scan, cancellationToken, options).ConfigureAwait(false);
    }

    /// <summary>Opens an engine over the files of <paramref name="scan"/>.</summary>
    /// <exception cref="QueryException">The index's data files cannot be read (missing or damaged).</exception>
    public static async Task<QueryEngine> OpenAsync(IndexScan scan, CancellationToken cancellationToken, QueryEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scan);
        options ??= QueryEngineOptions.Trusted;
        var connection = new DuckDBConnection("DataSource=:memory:");
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // Nothing is fetched from the network or loaded on demand: the engine runs with the
            // extensions built into the bundled DuckDB (parquet, json, icu) and no others.
            await SetAsync(connection, "SET autoinstall_known_extensions = false", cancellationToken).ConfigureAwait(false);
            await SetAsync(connection, "SET autoload_known_extensions = false", cancellationToken).ConfigureAwait(false);
            await using (var tz = connection.CreateCommand())
            {
                // With ICU loaded, TIMESTAMPTZ to TIMESTAMP follows the session zone; pin it to UTC
                // so times read the same on every machine. Without ICU the setting is unknown and
                // the cast is already UTC.
                tz.CommandText = "SET TimeZone = 'UTC'";
                try
                {
                    await tz.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DuckDBException)
                {
                }
            }

            await using (var view = connection.CreateCommand())
            {
                try
                {
                    view.CommandText = BuildFilesView(scan);
                    await view.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    view.CommandText = BuildChangesView(scan);
                    await view.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DuckDBException e)
                {
                    throw new QueryException($"the index's data files cannot be read ({e.Message}); the index is damaged or a data file was removed", e);
                }
            }

            if (options.ReadOnly)
            {
                await RestrictAsync(connection, scan, options, cancellationToken).ConfigureAwait(false);
            }

            return new QueryEngine(connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Turns off external access, keeping the index's data directories readable (the view reads
    /// them at query time) and the given output files writable, then locks the configuration so
    /// the SQL cannot turn access back on.
    /// </summary>
    private static async Task RestrictAsync(DuckDBConnection connection, IndexScan scan, QueryEngineOptions options, CancellationToken cancellationToken)
    {
        var directories = scan.DataFiles.Concat(scan.PositionDeleteFiles).Concat(scan.ChangesFiles)
            .Select(f => Path.GetDirectoryName(LocalPath(f))!)
            .Distinct(StringComparer.Ordinal)
            .Select(d => d.EndsWith('/') ? d : d + "/");
        var writable = options.WritablePaths.Select(Path.GetFullPath);
        await SetAsync(connection, $"SET allowed_directories = {ListLiteral(directories)}", cancellationToken).ConfigureAwait(false);
        await SetAsync(connection, $"SET allowed_paths = {ListLiteral(writable)}", cancellationToken).ConfigureAwait(false);
        await SetAsync(connection, "SET enable_external_access = false", cancellationToken).ConfigureAwait(false);
        await SetAsync(connection, "SET lock_configuration = true", cancellationToken).ConfigureAwait(false);
    }

    private static async Task SetAsync(DuckDBConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The SQL that defines the <c>files</c> view; file names are quoted as SQL string literals.</summary>
    public static string BuildFilesView(IndexScan scan)
    {
        ArgumentNullException.ThrowIfNull(scan);
        var select = SelectList("d.");
        var sb = new StringBuilder("CREATE OR REPLACE TEMP VIEW files AS ");
        if (scan.DataFiles.Count == 0)
        {
            sb.Append("SELECT ").Append(EmptyList()).Append(" WHERE false");
            return sb.ToString();
        }

        sb.Append("SELECT ").Append(select).Append(" FROM read_parquet(").Append(ListLiteral(scan.DataFiles.Select(LocalPath)));
        if (scan.PositionDeleteFiles.Count == 0)
        {
            sb.Append(") d");
            return sb.ToString();
        }

        if (scan.DataFileLocations is { } locations && locations.Count != scan.DataFiles.Count)
        {
            throw new ArgumentException($"the scan names {locations.Count} locations for {scan.DataFiles.Count} data files", nameof(scan));
        }

        // Each data file is read on its own with a small integer number, so the anti-join on
        // (file number, row position) hashes two integers instead of a file name string per row;
        // the delete rows get their file number from a join with the (small) list of data files.
        // A delete names the data file by its table location (s3://..., file:///... with percent
        // escapes) while DuckDB reads a local path: with locations given, match on the location,
        // never by rewriting one into the other; without them, on the normalized local path.
        sb.Clear().Append("CREATE OR REPLACE TEMP VIEW files AS SELECT ").Append(select).Append(" FROM (");
        for (int i = 0; i < scan.DataFiles.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(" UNION ALL BY NAME ");
            }

            sb.Append("SELECT *, ").Append(i.ToString(CultureInfo.InvariantCulture)).Append(" AS ").Append(FileNumberColumn)
                .Append(" FROM read_parquet(").Append(Literal(LocalPath(scan.DataFiles[i]))).Append(", file_row_number = true)");
        }

        sb.Append(") d WHERE NOT EXISTS (SELECT 1 FROM (SELECT m.n, x.pos FROM read_parquet(")
            .Append(ListLiteral(scan.PositionDeleteFiles.Select(LocalPath)))
            .Append(") x JOIN (VALUES ");
        for (int i = 0; i < scan.DataFiles.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            string key = scan.DataFileLocations is { } named ? named[i] : LocalPath(scan.DataFiles[i]);
            sb.Append('(').Append(Literal(key)).Append(", ").Append(i.ToString(CultureInfo.InvariantCulture)).Append(')');
        }

        sb.Append(") m(file_key, n) ON ")
            .Append(scan.DataFileLocations is null ? NormalizedPathSql("x.file_path") : "x.file_path")
            .Append(" = m.file_key) x WHERE x.n = d.").Append(FileNumberColumn).Append(" AND x.pos = d.file_row_number)");
        return sb.ToString();
    }

    /// <summary>
    /// The SQL that defines the <c>changes</c> view over the changes table: one row per applied
    /// change (time, kind, path, previous_path, size_before, size_after, snapshot_id), times as
    /// TIMESTAMP in UTC like the <c>files</c> view.
    /// </summary>
    public static string BuildChangesView(IndexScan scan)
    {
        ArgumentNullException.ThrowIfNull(scan);
        const string empty = "SELECT CAST(NULL AS TIMESTAMP) AS \"time\", CAST(NULL AS VARCHAR) AS kind, CAST(NULL AS VARCHAR) AS path, CAST(NULL AS VARCHAR) AS previous_path, CAST(NULL AS BIGINT) AS size_before, CAST(NULL AS BIGINT) AS size_after, CAST(NULL AS BIGINT) AS snapshot_id WHERE false";
        return scan.ChangesFiles.Count == 0
            ? "CREATE OR REPLACE TEMP VIEW changes AS " + empty
            : "CREATE OR REPLACE TEMP VIEW changes AS SELECT CAST(\"time\" AS TIMESTAMP) AS \"time\", kind, path, previous_path, size_before, size_after, snapshot_id FROM read_parquet("
                + ListLiteral(scan.ChangesFiles.Select(LocalPath)) + ")";
    }

    private static string SelectList(string prefix) => string.Join(", ", IndexColumns.All.Select(c =>
        c.Kind == ColumnKind.TimestampTz
            ? $"CAST({prefix}{Ident(c.Name)} AS TIMESTAMP) AS {Ident(c.Name)}"
            : $"{prefix}{Ident(c.Name)}"));

    private static string EmptyList() => string.Join(", ", IndexColumns.All.Select(c =>
        $"CAST(NULL AS {SqlType(c.Kind)}) AS {Ident(c.Name)}"));

    /// <summary>The DuckDB type the view gives a column kind.</summary>
    public static string SqlType(ColumnKind kind) => kind switch
    {
        ColumnKind.String => "VARCHAR",
        ColumnKind.Int32 => "INTEGER",
        ColumnKind.Int64 => "BIGINT",
        ColumnKind.Boolean => "BOOLEAN",
        ColumnKind.TimestampTz => "TIMESTAMP",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Quotes an identifier for DuckDB.</summary>
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Quotes a value as a DuckDB string literal (single quotes doubled).</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string ListLiteral(IEnumerable<string> values) => "[" + string.Join(", ", values.Select(Literal)) + "]";

    private static string NormalizedPathSql(string expr) =>
        $"(CASE WHEN starts_with({expr}, 'file://') THEN substr({expr}, 8) WHEN starts_with({expr}, 'file:') THEN substr({expr}, 6) ELSE {expr} END)";

    /// <summary>Turns a <c>file:</c> URI into a local path; DuckDB reads local paths, and delete files are matched on them.</summary>
    public static string LocalPath(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.StartsWith("file://", StringComparison.Ordinal))
        {
            return location[7..];
        }

        if (location.StartsWith("file:", StringComparison.Ordinal))
        {
            return location[5..];
        }

        if (location.Contains("://", StringComparison.Ordinal))
        {
            throw new NotSupportedException($"querying files at {location} is not supported here: DuckDB's bundled engine reads local files only");
        }

        return location;
    }

    /// <summary>Runs <paramref name="sql"/> and returns a reader over its rows.</summary>
    /// <exception cref="QueryException">The SQL is not valid or fails.</exception>
    public Task<DbDataReader> ExecuteReaderAsync(string sql, CancellationToken cancellationToken) =>
        ExecuteReaderAsync(sql, [], cancellationToken);

    /// <summary>
    /// Runs <paramref name="sql"/> with its <c>?</c> placeholders bound, in order, to
    /// <paramref name="parameters"/> (values never pasted into the SQL), and returns a reader over its rows.
    /// </summary>
    /// <exception cref="QueryException">The SQL is not valid or fails.</exception>
    public async Task<DbDataReader> ExecuteReaderAsync(string sql, IReadOnlyList<object?> parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var value in parameters)
        {
            command.Parameters.Add(new DuckDBParameter(value ?? DBNull.Value));
        }

        try
        {
            return await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDBException e)
        {
            await command.DisposeAsync().ConfigureAwait(false);
            throw new QueryException(e.Message, e);
        }
    }

    /// <summary>Runs <paramref name="sql"/> and collects every row.</summary>
    /// <exception cref="QueryException">The SQL is not valid or fails.</exception>
    public async Task<QueryResult> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        await using var reader = await ExecuteReaderAsync(sql, cancellationToken).ConfigureAwait(false);
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        var rows = new List<object?[]>();
        try
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var row = new object?[columns.Length];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }
        }
        catch (DuckDBException e)
        {
            throw new QueryException(e.Message, e);
        }

        return new QueryResult(columns, rows);
    }

    /// <summary>Runs a statement that returns no rows (COPY, SET, CREATE ...).</summary>
    /// <exception cref="QueryException">The SQL is not valid or fails.</exception>
    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = sql;
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDBException e)
        {
            throw new QueryException(e.Message, e);
        }
    }

    /// <summary>Writes the result of <paramref name="sql"/> to a Parquet file at <paramref name="outPath"/>.</summary>
    public Task CopyToParquetAsync(string sql, string outPath, CancellationToken cancellationToken) =>
        ExecuteAsync($"COPY ({TrimStatement(sql)}) TO {Literal(Path.GetFullPath(outPath))} (FORMAT parquet, COMPRESSION zstd)", cancellationToken);

    /// <summary>Drops a trailing semicolon so a statement can be nested in COPY (...).</summary>
    public static string TrimStatement(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var trimmed = sql.TrimEnd();
        while (trimmed.EndsWith(';'))
        {
            trimmed = trimmed[..^1].TrimEnd();
        }

        return trimmed;
    }

    /// <summary>Formats a value for text output: invariant culture, ISO times.</summary>
    public static string FormatValue(object? value) => value switch
    {
        null => "",
        DateTime dt => dt.ToString(dt.TimeOfDay.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        DateTimeOffset dto => dto.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
