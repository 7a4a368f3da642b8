namespace Qindex.Iceberg.Spec;

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
