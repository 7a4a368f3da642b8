using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>Where an index lives: its directory, and optionally an external catalog and warehouse.</summary>
/// <param name="IndexDirectory">The <c>--index DIR</c>: holds the SQLite catalog and, by default, the warehouse.</param>
/// <param name="CatalogUri">null for SQLite inside <paramref name="IndexDirectory"/>; <c>postgresql://...</c> or <c>https://...</c> (REST) otherwise.</param>
/// <param name="Warehouse">null for <c>IndexDirectory/warehouse</c>; a local path or <c>s3://bucket/prefix</c> otherwise.</param>
public sealed record IndexLocation(string IndexDirectory, string? CatalogUri = null, string? Warehouse = null);

/// <summary>
/// What the index was last made consistent with: the cluster, the crawled root, and the cluster
/// snapshot the rows reflect. Stored in the Iceberg snapshot summary of the commit that wrote it.
/// </summary>
public sealed record IndexBaseline(string ClusterHost, string RootPath, string? ClusterSnapshotId, DateTimeOffset Taken);

/// <summary>A summary of the index for <c>qindex status</c>.</summary>
public sealed record IndexStatus(
    long Rows,
    long DataBytes,
    int DataFiles,
    int DeleteFiles,
    int Snapshots,
    IndexBaseline? Baseline,
    DateTimeOffset? LastCommit,
    string TableLocation)
{
    /// <summary>The checkpoint the last change set recorded (empty when none did).</summary>
    public IReadOnlyDictionary<string, string> Checkpoint { get; init; } = new Dictionary<string, string>();
}

/// <summary>The files a reader must combine to see the current state of the index.</summary>
/// <param name="DataFiles">Absolute paths or URIs of live Parquet data files.</param>
/// <param name="PositionDeleteFiles">Absolute paths or URIs of live position-delete files (may be empty).</param>
public sealed record IndexScan(IReadOnlyList<string> DataFiles, IReadOnlyList<string> PositionDeleteFiles)
{
    /// <summary>
    /// The table locations of <see cref="DataFiles"/>, in the same order: what position-delete
    /// files name. Null when the data files are named by their own paths (a plain directory).
    /// On an S3 warehouse the local path is a cache copy and only the location matches a delete.
    /// </summary>
    public IReadOnlyList<string>? DataFileLocations { get; init; }

    /// <summary>Local paths of the live files of the <c>changes</c> table (empty when there is none).</summary>
    public IReadOnlyList<string> ChangesFiles { get; init; } = [];
}

/// <summary>
/// The index table (Iceberg table <c>qindex.files</c>) as the pipeline sees it. Crawl and import
/// write through <see cref="BeginReplace"/>; query, export and status read through the rest.
/// </summary>
public interface IIndexStore : IAsyncDisposable
{
    /// <summary>
    /// Starts writing a complete new picture of the index. Nothing is visible to readers until
    /// <see cref="IIndexWriter.CommitAsync"/> succeeds; disposing the writer without committing
    /// leaves the previous index exactly as it was (and removes the files it wrote).
    /// </summary>
    IIndexWriter BeginReplace();

    /// <summary>Starts a batch of row-level changes (upserts, deletes, subtree moves) committed as one snapshot.</summary>
    IIndexChangeSet BeginChanges();

    /// <summary>The files that make up the current state.</summary>
    Task<IndexScan> ScanAsync(CancellationToken cancellationToken);

    /// <summary>Rows, files, snapshots and baseline of the current state.</summary>
    Task<IndexStatus> GetStatusAsync(CancellationToken cancellationToken);
}

/// <summary>Writes records into new data files, sorted by path within each file, then commits them as one snapshot.</summary>
public interface IIndexWriter : IAsyncDisposable
{
    /// <summary>Adds one record. Records may arrive in any order; the writer buffers and sorts in bounded memory.</summary>
    ValueTask AddAsync(FileRecord record, CancellationToken cancellationToken);

    /// <summary>Rows added so far.</summary>
    long RowsAdded { get; }

    /// <summary>
    /// Records an extra key in the summary of the snapshot <see cref="CommitAsync"/> writes (for
    /// example where an import came from). Stores without summaries ignore it.
    /// </summary>
    void AddSummaryProperty(string key, string value)
    {
    }

    /// <summary>Replaces the whole table content with what was added, in one atomic commit that records <paramref name="baseline"/>.</summary>
    Task CommitAsync(IndexBaseline? baseline, CancellationToken cancellationToken);
}

/// <summary>
/// A writer that also accepts whole data files written elsewhere (already sorted by path, with the
/// index's Parquet schema and field ids), so a bulk import can skip per-record work.
/// </summary>
public interface IBulkIndexWriter : IIndexWriter
{
    /// <summary>Where the next externally written data file must be put.</summary>
    string NewDataFilePath();

    /// <summary>Adds a data file written at a path from <see cref="NewDataFilePath"/>.</summary>
    void AddDataFile(IndexDataFile file);
}
