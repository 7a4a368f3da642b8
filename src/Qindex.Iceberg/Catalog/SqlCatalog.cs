using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Qindex.Iceberg.IO;
using Qindex.Iceberg.Spec;

namespace Qindex.Iceberg.Catalog;

/// <summary>
/// The SQL catalog layout shared by Java's JDBC catalog and pyiceberg's SQL catalog: a table
/// <c>iceberg_tables</c> naming each table's current metadata file, a commit being a
/// compare-and-swap of <c>metadata_location</c>; and <c>iceberg_namespace_properties</c> so the
/// namespace exists for readers that check. On SQLite (embedded) or PostgreSQL.
/// </summary>
public sealed class SqlCatalog : ICatalog
{
    private readonly DbDataSource _dataSource;
    private readonly string _warehouse;
    private readonly TimeProvider _time;

    private SqlCatalog(DbDataSource dataSource, string name, string warehouse, TimeProvider time)
    {
        _dataSource = dataSource;
        Name = name;
        _warehouse = warehouse.TrimEnd('/');
        _time = time;
    }

    public string Name { get; }

    /// <summary>A catalog in the SQLite database file <paramref name="databasePath"/>.</summary>
    public static Task<SqlCatalog> OpenSqliteAsync(string databasePath, string warehouse, CancellationToken cancellationToken, string name = "qindex", TimeProvider? time = null)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = true, DefaultTimeout = 30 };
        return InitializeAsync(SqliteFactory.Instance.CreateDataSource(builder.ConnectionString), name, warehouse, time, cancellationToken);
    }

    /// <summary>A catalog in the PostgreSQL database at <paramref name="uri"/> (<c>postgresql://user:password@host:port/database</c>).</summary>
    public static Task<SqlCatalog> OpenPostgresAsync(string uri, string warehouse, CancellationToken cancellationToken, string name = "qindex", TimeProvider? time = null) =>
        InitializeAsync(NpgsqlDataSource.Create(PostgresConnectionString(uri)), name, warehouse, time, cancellationToken);

    /// <summary>
    /// Converts a <c>postgresql://</c> URI to an Npgsql connection string. User and password are
    /// percent-decoded; query parameters such as <c>sslmode</c> pass through.
    /// </summary>
    public static string PostgresConnectionString(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("postgresql" or "postgres") || parsed.Host.Length == 0)
        {
            throw new IcebergException("the catalog URI must look like postgresql://user:password@host:5432/database");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = parsed.Host,
            Port = parsed.IsDefaultPort || parsed.Port <= 0 ? 5432 : parsed.Port,
            Database = Uri.UnescapeDataString(parsed.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
        };
        if (parsed.UserInfo.Length > 0)
        {
            string[] parts = parsed.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (string pair in parsed.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] kv = pair.Split('=', 2);
            string key = Uri.UnescapeDataString(kv[0]);
            string value = kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : string.Empty;
            try
            {
                builder[key switch { "sslmode" => "SSL Mode", "application_name" => "Application Name", _ => key }] = value;
            }
            catch (ArgumentException e)
            {
                throw new IcebergException($"the catalog URI has an unknown parameter '{key}'", e);
            }
        }

        return builder.ConnectionString;
    }

    private static async Task<SqlCatalog> InitializeAsync(DbDataSource dataSource, string name, string warehouse, TimeProvider? time, CancellationToken cancellationToken)
    {
        var catalog = new SqlCatalog(dataSource, name, warehouse, time ?? TimeProvider.System);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(
                connection,
                """
                CREATE TABLE IF NOT EXISTS iceberg_tables (
                    catalog_name VARCHAR(255) NOT NULL,
                    table_namespace VARCHAR(255) NOT NULL,
                    table_name VARCHAR(255) NOT NULL,
                    metadata_location VARCHAR(1000),
                    previous_metadata_location VARCHAR(1000),
                    PRIMARY KEY (catalog_name, table_namespace, table_name))
                """,
                cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(
                connection,
                """
                CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
                    catalog_name VARCHAR(255) NOT NULL,
                    namespace VARCHAR(255) NOT NULL,
                    property_key VARCHAR(255) NOT NULL,
                    property_value VARCHAR(1000),
                    PRIMARY KEY (catalog_name, namespace, property_key))
                """,
                cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            await catalog.DisposeAsync().ConfigureAwait(false);
            throw new IcebergException($"cannot open the SQL catalog ({e.Message})", e);
        }
        catch
        {
            await catalog.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return catalog;
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void Bind(DbCommand command, string name, object? value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        command.Parameters.Add(p);
    }

    /// <summary>The current metadata location, or null when the table is not in the catalog.</summary>
    public async Task<string?> LoadMetadataLocationAsync(TableIdentifier identifier, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = @catalog AND table_namespace = @namespace AND table_name = @name";
        Bind(command, "@catalog", Name);
        Bind(command, "@namespace", identifier.Namespace);
        Bind(command, "@name", identifier.Name);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>
    /// Points the table at <paramref name="newLocation"/> if it still points at
    /// <paramref name="expected"/> (compare-and-swap), for a metadata file written outside
    /// <see cref="CommitAsync"/>: a rewrite of the table's locations after its directory moved.
    /// </summary>
    /// <returns>False when another writer changed the table first.</returns>
    public async Task<bool> SwapMetadataLocationAsync(TableIdentifier identifier, string expected, string newLocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var update = connection.CreateCommand();
        update.CommandText = """
            UPDATE iceberg_tables SET metadata_location = @new, previous_metadata_location = @old
            WHERE catalog_name = @catalog AND table_namespace = @namespace AND table_name = @name AND metadata_location = @old
            """;
        Bind(update, "@new", newLocation);
        Bind(update, "@old", expected);
        Bind(update, "@catalog", Name);
        Bind(update, "@namespace", identifier.Namespace);
        Bind(update, "@name", identifier.Name);
        return await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task<LoadedTable?> LoadTableAsync(TableIdentifier identifier, CancellationToken cancellationToken)
    {
        string? location = await LoadMetadataLocationAsync(identifier, cancellationToken).ConfigureAwait(false);
        if (location is null)
        {
            return null;
        }

        using var io = FileIOFactory.For(location);
        return new LoadedTable(await MetadataFiles.ReadAsync(io, location, cancellationToken).ConfigureAwait(false), location);
    }

    public async Task<LoadedTable> CreateTableAsync(TableIdentifier identifier, Schema schema, SortOrder sortOrder, IReadOnlyDictionary<string, string> properties, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        if (await LoadTableAsync(identifier, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        string tableLocation = FileIOFactory.Combine(_warehouse, $"{identifier.Namespace}/{identifier.Name}");
        var metadata = TableMetadata.Create(tableLocation, schema, sortOrder, properties, _time.GetUtcNow());
        string metadataLocation = MetadataFiles.Next(tableLocation, null);
        using var io = FileIOFactory.For(metadataLocation);
        await io.WriteNewAsync(metadataLocation, metadata.ToJsonBytes(), cancellationToken).ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var ns = connection.CreateCommand())
            {
                ns.CommandText = """
                    INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value)
                    SELECT @catalog, @namespace, 'exists', 'true'
                    WHERE NOT EXISTS (SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = @catalog AND namespace = @namespace AND property_key = 'exists')
                    """;
                Bind(ns, "@catalog", Name);
                Bind(ns, "@namespace", identifier.Namespace);
                await ns.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location)
                VALUES (@catalog, @namespace, @name, @location, NULL)
                """;
            Bind(insert, "@catalog", Name);
            Bind(insert, "@namespace", identifier.Namespace);
            Bind(insert, "@name", identifier.Name);
            Bind(insert, "@location", metadataLocation);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new LoadedTable(metadata, metadataLocation);
        }
        catch (DbException e)
        {
            // Most likely another writer created the table between our look and our insert: use
            // theirs. If there is no table after all, the insert failed for another reason.
            await io.DeleteAsync(metadataLocation, cancellationToken).ConfigureAwait(false);
            return await LoadTableAsync(identifier, cancellationToken).ConfigureAwait(false)
                ?? throw new IcebergException($"cannot create table {identifier} in the SQL catalog ({e.Message})", e);
        }
    }

    public async Task<LoadedTable> CommitAsync(TableIdentifier identifier, LoadedTable baseTable, IReadOnlyList<TableUpdate> updates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        ArgumentNullException.ThrowIfNull(baseTable);
        var metadata = TableUpdates.Apply(baseTable.Metadata, updates, baseTable.MetadataLocation, _time.GetUtcNow());
        string metadataLocation = MetadataFiles.Next(metadata.Location, baseTable.MetadataLocation);
        using var io = FileIOFactory.For(metadataLocation);
        await io.WriteNewAsync(metadataLocation, metadata.ToJsonBytes(), cancellationToken).ConfigureAwait(false);
        int swapped;
        await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var update = connection.CreateCommand())
        {
            update.CommandText = """
                UPDATE iceberg_tables SET metadata_location = @new, previous_metadata_location = @old
                WHERE catalog_name = @catalog AND table_namespace = @namespace AND table_name = @name AND metadata_location = @old
                """;
            Bind(update, "@new", metadataLocation);
            Bind(update, "@old", baseTable.MetadataLocation);
            Bind(update, "@catalog", Name);
            Bind(update, "@namespace", identifier.Namespace);
            Bind(update, "@name", identifier.Name);
            swapped = await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (swapped != 1)
        {
            await io.DeleteAsync(metadataLocation, CancellationToken.None).ConfigureAwait(false);
            throw new CommitConflictException($"table {identifier} changed since {baseTable.MetadataLocation} was read");
        }

        await DeleteDroppedMetadataAsync(io, baseTable.Metadata, metadata, cancellationToken).ConfigureAwait(false);
        return new LoadedTable(metadata, metadataLocation);
    }

    /// <summary>Metadata files that fell off the metadata log are deleted, so a busy table does not accumulate them.</summary>
    private static async Task DeleteDroppedMetadataAsync(IFileIO io, TableMetadata before, TableMetadata after, CancellationToken cancellationToken)
    {
        var kept = after.MetadataLog.Select(e => e.MetadataFile).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in before.MetadataLog.Where(e => !kept.Contains(e.MetadataFile)))
        {
            await io.DeleteAsync(entry.MetadataFile, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
