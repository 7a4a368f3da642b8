namespace Qindex.Index.Records;

/// <summary>
/// One row of the index: one file system object, its Qumulo attribute object flattened.
/// Column names and types are those of the users' existing Parquet index (see DESIGN.md) so
/// their queries keep running. Times are UTC with microsecond precision as Iceberg stores them.
/// </summary>
public sealed record FileRecord
{
    public required string Path { get; init; }
    public string? Name { get; init; }
    public int? NumLinks { get; init; }
    public string? Type { get; init; }
    public int? MajorMinorMajor { get; init; }
    public int? MajorMinorMinor { get; init; }
    public string? SymlinkTargetType { get; init; }
    public string? Id { get; init; }

    /// <summary>Null when it equals <see cref="Id"/>, as in the users' existing index.</summary>
    public string? FileNumber { get; init; }

    /// <summary>Parsed from the octal string the API returns ("0755" is 493).</summary>
    public int? Mode { get; init; }
    public long? Owner { get; init; }
    public string? OwnerIdType { get; init; }
    public string? OwnerIdValue { get; init; }
    public long? Group { get; init; }
    public string? GroupIdType { get; init; }
    public string? GroupIdValue { get; init; }
    public long? Blocks { get; init; }
    public long? Datablocks { get; init; }
    public long? Metablocks { get; init; }
    public long? Size { get; init; }
    public DateTimeOffset? AccessTime { get; init; }
    public DateTimeOffset? ModificationTime { get; init; }
    public DateTimeOffset? ChangeTime { get; init; }
    public DateTimeOffset? CreationTime { get; init; }
    public int? ChildCount { get; init; }
    public bool? EaReadOnly { get; init; }
    public bool? EaHidden { get; init; }
    public bool? EaSystem { get; init; }
    public bool? EaArchive { get; init; }
    public bool? EaTemporary { get; init; }
    public bool? EaCompressed { get; init; }
    public bool? EaNotContentIndexed { get; init; }
    public bool? EaSparseFile { get; init; }
    public bool? EaOffline { get; init; }
    public string? DirectoryEntryHashPolicy { get; init; }
    public long? DataRevision { get; init; }
    public long? UserMetadataRevision { get; init; }
    public DateTimeOffset? IngestTs { get; init; }
}
