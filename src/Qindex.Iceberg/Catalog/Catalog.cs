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
        int version = previous is not null && VersionOf(previous) is { } v ? v + 1 : 0;

        return FileIOFactory.Combine(tableLocation, $"metadata/{version:D5}-{Guid.NewGuid():D}.metadata.json");
    }

    /// <summary>The version number in a metadata file's name (<c>00005-uuid.metadata.json</c> is 5), or null.</summary>
    public static int? VersionOf(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        string name = location[(location.LastIndexOf('/') + 1)..];
        int dash = name.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && int.TryParse(name.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : null;
    }

    /// <summary>
    /// The location of the Hadoop-style copy (<c>metadata/vN.metadata.json</c>) of the metadata
    /// file at <paramref name="metadataLocation"/>, N being its version plus one (Hadoop tables
    /// start at v1), or null when its name carries no version.
    /// </summary>
    public static string? HadoopCopyOf(string metadataLocation)
    {
        ArgumentNullException.ThrowIfNull(metadataLocation);
        return VersionOf(metadataLocation) is { } version
            ? metadataLocation[..(metadataLocation.LastIndexOf('/') + 1)] + $"v{(version + 1).ToString(CultureInfo.InvariantCulture)}.metadata.json"
            : null;
    }

    /// <summary>
    /// Publishes <paramref name="metadataLocation"/> the way Hadoop tables do, as
    /// <c>metadata/vN.metadata.json</c> named by <c>metadata/version-hint.text</c>, so readers
    /// given only the table folder (DuckDB's <c>iceberg_scan('TABLE')</c>, icebird without a
    /// metadata file name) find the current metadata. The catalog stays the authority; the hint
    /// is written after the commit landed and only ever moves forward.
    /// </summary>
    public static async Task WriteVersionHintAsync(IFileIO io, string metadataLocation, byte[] metadataJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(io);
        ArgumentNullException.ThrowIfNull(metadataLocation);
        if (HadoopCopyOf(metadataLocation) is not { } copy)
        {
            return;
        }

        int version = VersionOf(metadataLocation)!.Value + 1;
        string hint = metadataLocation[..(metadataLocation.LastIndexOf('/') + 1)] + "version-hint.text";
        await io.WriteAsync(copy, metadataJson, cancellationToken).ConfigureAwait(false);
        try
        {
            byte[] current = await io.ReadAllBytesAsync(hint, cancellationToken).ConfigureAwait(false);
            if (int.TryParse(System.Text.Encoding.UTF8.GetString(current).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int existing) && existing > version)
            {
                // A later commit already published its version; a hint never moves back.
                return;
            }
        }
        catch (FileNotFoundException)
        {
            // The first commit of the table, or the hint was removed: write it.
        }
        catch (DirectoryNotFoundException)
        {
        }

        await io.WriteAsync(hint, System.Text.Encoding.UTF8.GetBytes(version.ToString(CultureInfo.InvariantCulture)), cancellationToken).ConfigureAwait(false);
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
