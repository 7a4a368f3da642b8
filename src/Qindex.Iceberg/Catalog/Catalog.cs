using System.Globalization;
using Qindex.Iceberg.IO;
using Qindex.Iceberg.Spec;

namespace Qindex.Iceberg.Catalog;

/// <summary>A table's name in a catalog: one namespace level and a table name.</summary>
public sealed record TableIdentifier(string Namespace, string Name)
{
    public override string ToString() => Namespace + "." + Name;
}

/// <summary>A table's metadata and the file it was read from.</summary>
public sealed record LoadedTable(TableMetadata Metadata, string MetadataLocation);

/// <summary>
/// An Iceberg catalog: it names the current metadata file of each table and swaps it atomically,
/// so two writers can never both commit on the same base.
/// </summary>
public interface ICatalog : IAsyncDisposable
{
    /// <summary>The catalog's name (the <c>catalog_name</c> column of a SQL catalog).</summary>
    string Name { get; }

    /// <summary>The table's current metadata, or null when there is no such table.</summary>
    Task<LoadedTable?> LoadTableAsync(TableIdentifier identifier, CancellationToken cancellationToken);

    /// <summary>Creates the table (and its namespace), or loads it if another writer created it first.</summary>
    Task<LoadedTable> CreateTableAsync(TableIdentifier identifier, Schema schema, SortOrder sortOrder, IReadOnlyDictionary<string, string> properties, CancellationToken cancellationToken);

    /// <summary>Applies <paramref name="updates"/> to <paramref name="baseTable"/> and makes the result current.</summary>
    /// <exception cref="CommitConflictException">Another commit landed since <paramref name="baseTable"/> was loaded.</exception>
    Task<LoadedTable> CommitAsync(TableIdentifier identifier, LoadedTable baseTable, IReadOnlyList<TableUpdate> updates, CancellationToken cancellationToken);
}

/// <summary>Names of metadata files, shared by the catalogs that write them.</summary>
public static class MetadataFiles
{
    /// <summary>The location of the metadata file that follows <paramref name="previous"/> (null for a new table).</summary>
    public static string Next(string tableLocation, string? previous)
    {
        int version = 0;
        if (previous is not null)
        {
            string name = previous[(previous.LastIndexOf('/') + 1)..];
            int dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && int.TryParse(name.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int v))
            {
                version = v + 1;
            }
        }

        return FileIOFactory.Combine(tableLocation, $"metadata/{version:D5}-{Guid.NewGuid():D}.metadata.json");
    }

    /// <summary>Reads and parses a metadata file.</summary>
    public static async Task<TableMetadata> ReadAsync(IFileIO io, string location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(io);
        byte[] bytes = await io.ReadAllBytesAsync(location, cancellationToken).ConfigureAwait(false);
        try
        {
            return TableMetadata.Parse(bytes);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new IcebergException($"{location}: not valid table metadata JSON ({e.Message})", e);
        }
    }
}
