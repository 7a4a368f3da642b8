namespace Qindex.Iceberg.Spec;

/// <summary>What a file in a manifest holds (spec: <c>content</c> of <c>data_file</c>).</summary>
public enum FileContent
{
    /// <summary>Rows of the table.</summary>
    Data = 0,

    /// <summary>Position deletes: (file_path, pos) of rows that no longer exist.</summary>
    PositionDeletes = 1,

    /// <summary>Equality deletes (qindex never writes them; see DESIGN.md).</summary>
    EqualityDeletes = 2,
}

/// <summary>
/// A data or delete file with its metrics (spec: the <c>data_file</c> struct of a manifest entry).
/// Bounds are in the spec's single-value binary serialization, keyed by field id.
/// </summary>
public sealed record DataFile
{
    public FileContent Content { get; init; } = FileContent.Data;

    public required string FilePath { get; init; }

    public string FileFormat { get; init; } = "PARQUET";

    public required long RecordCount { get; init; }

    public required long FileSizeInBytes { get; init; }

    public IReadOnlyDictionary<int, long>? ColumnSizes { get; init; }

    public IReadOnlyDictionary<int, long>? ValueCounts { get; init; }

    public IReadOnlyDictionary<int, long>? NullValueCounts { get; init; }

    public IReadOnlyDictionary<int, byte[]>? LowerBounds { get; init; }

    public IReadOnlyDictionary<int, byte[]>? UpperBounds { get; init; }

    public IReadOnlyList<long>? SplitOffsets { get; init; }

    public int? SortOrderId { get; init; }
}

/// <summary>The status of a manifest entry.</summary>
public enum ManifestEntryStatus
{
    /// <summary>The file was in the table before this manifest's snapshot.</summary>
    Existing = 0,

    /// <summary>The file was added by this manifest's snapshot.</summary>
    Added = 1,

    /// <summary>The file was removed by this manifest's snapshot.</summary>
    Deleted = 2,
}

/// <summary>One entry of a manifest (spec: <c>manifest_entry</c>).</summary>
public sealed record ManifestEntry(
    ManifestEntryStatus Status,
    long? SnapshotId,
    long? SequenceNumber,
    long? FileSequenceNumber,
    DataFile DataFile)
{
    /// <summary>
    /// The entry with the values it may leave null filled in from <paramref name="manifest"/>
    /// (spec: "Sequence Number Inheritance"; as pyiceberg's <c>_inherit_from_manifest</c>). A
    /// manifest written at sequence number 0 predates sequence numbers (format v1): every entry
    /// inherits from it.
    /// </summary>
    public ManifestEntry InheritFrom(ManifestFile manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        bool inherits = Status == ManifestEntryStatus.Added || manifest.SequenceNumber == 0;
        return this with
        {
            SnapshotId = SnapshotId ?? manifest.AddedSnapshotId,
            SequenceNumber = SequenceNumber ?? (inherits ? manifest.SequenceNumber : null),
            FileSequenceNumber = FileSequenceNumber ?? (inherits ? manifest.SequenceNumber : null),
        };
    }
}

/// <summary>One entry of a manifest list (spec: <c>manifest_file</c>).</summary>
public sealed record ManifestFile
{
    public required string ManifestPath { get; init; }

    public required long ManifestLength { get; init; }

    public int PartitionSpecId { get; init; } = PartitionSpec.UnpartitionedSpecId;

    /// <summary>Data (0) or deletes (1).</summary>
    public FileContent Content { get; init; } = FileContent.Data;

    public required long SequenceNumber { get; init; }

    public required long MinSequenceNumber { get; init; }

    public required long AddedSnapshotId { get; init; }

    public int AddedFilesCount { get; init; }

    public int ExistingFilesCount { get; init; }

    public int DeletedFilesCount { get; init; }

    public long AddedRowsCount { get; init; }

    public long ExistingRowsCount { get; init; }

    public long DeletedRowsCount { get; init; }
}
