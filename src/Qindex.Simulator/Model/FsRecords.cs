namespace Qindex.Simulator.Model;

/// <summary>An identity as in <c>owner_details</c> / <c>group_details</c>.</summary>
public sealed record Identity(IdentityType IdType, string IdValue);

/// <summary>Device numbers (<c>major_minor_numbers</c>); zero for everything but devices.</summary>
public sealed record MajorMinorNumbers(int Major, int Minor)
{
    public static MajorMinorNumbers None { get; } = new(0, 0);
}

/// <summary>The nine SMB extended attribute flags (<c>extended_attributes</c>).</summary>
public sealed record ExtendedAttributes(
    bool ReadOnly = false,
    bool Hidden = false,
    bool System = false,
    bool Archive = false,
    bool Temporary = false,
    bool Compressed = false,
    bool NotContentIndexed = false,
    bool SparseFile = false,
    bool Offline = false)
{
    public static ExtendedAttributes None { get; } = new();
}

/// <summary>
/// One attribute object, every field of <c>files_ref_info_attributes.json</c>. Numbers are typed
/// here; the HTTP layer renders ids, sizes, owner/group and revisions as decimal strings, mode
/// with <see cref="ApiNames.FormatMode"/>, and times with <see cref="FsTimestamp.ToString"/>.
/// Directory paths end with '/', the root is "/". <see cref="ChildCount"/> is null for non-directories.
/// </summary>
public sealed record FsAttributes(
    string Path,
    string Name,
    int NumLinks,
    FileType Type,
    MajorMinorNumbers MajorMinorNumbers,
    SymlinkTargetType SymlinkTargetType,
    long FileNumber,
    long Id,
    int Mode,
    long Owner,
    Identity OwnerDetails,
    long Group,
    Identity GroupDetails,
    long Blocks,
    long Datablocks,
    long Metablocks,
    long Size,
    FsTimestamp AccessTime,
    FsTimestamp ModificationTime,
    FsTimestamp ChangeTime,
    FsTimestamp CreationTime,
    int? ChildCount,
    ExtendedAttributes ExtendedAttributes,
    DirectoryHashPolicy DirectoryEntryHashPolicy,
    long DataRevision,
    long UserMetadataRevision);

/// <summary>One page of a directory listing. <see cref="Next"/> is the opaque token for the next page, or null on the last page.</summary>
public sealed record DirectoryPage(string Path, long Id, int ChildCount, IReadOnlyList<FsAttributes> Files, string? Next);

/// <summary>A named (alternate data) stream of a file.</summary>
public sealed record NamedStream(string Id, string Name, long Size, long DataRevision);

/// <summary>Per-child line of an aggregates answer (<c>files[]</c> of <c>files_ref_aggregates.json</c>).</summary>
public sealed record AggregateEntry(
    string Name,
    FileType Type,
    long Id,
    long CapacityUsage,
    long DataUsage,
    long MetaUsage,
    long NumFiles,
    long NumDirectories,
    long NumSymlinks,
    long NumOtherObjects,
    long NamedStreamDataUsage,
    long NumNamedStreams);

/// <summary>Totals of a directory (<c>files_ref_aggregates.json</c>), with per-child entries.</summary>
public sealed record DirectoryAggregates(
    string Path,
    long Id,
    IReadOnlyList<AggregateEntry> Files,
    long TotalCapacity,
    long TotalData,
    long TotalNamedStreamData,
    long TotalMeta,
    long TotalFiles,
    long TotalDirectories,
    long TotalSymlinks,
    long TotalOtherObjects,
    long TotalNamedStreams);

/// <summary>
/// Some of the nine extended attribute flags; null flags keep their value. Applied under the
/// model's write gate, so two clients changing different flags do not undo each other.
/// </summary>
public sealed record ExtendedAttributesChange(
    bool? ReadOnly = null,
    bool? Hidden = null,
    bool? System = null,
    bool? Archive = null,
    bool? Temporary = null,
    bool? Compressed = null,
    bool? NotContentIndexed = null,
    bool? SparseFile = null,
    bool? Offline = null)
{
    public ExtendedAttributes ApplyTo(ExtendedAttributes current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return new ExtendedAttributes(
            ReadOnly ?? current.ReadOnly,
            Hidden ?? current.Hidden,
            System ?? current.System,
            Archive ?? current.Archive,
            Temporary ?? current.Temporary,
            Compressed ?? current.Compressed,
            NotContentIndexed ?? current.NotContentIndexed,
            SparseFile ?? current.SparseFile,
            Offline ?? current.Offline);
    }
}

/// <summary>
/// A change to attributes (PATCH <c>/info/attributes</c>). Null fields are left unchanged.
/// Setting <see cref="Size"/> truncates or extends like a data write.
/// </summary>
public sealed record AttributePatch
{
    public int? Mode { get; init; }

    public long? Owner { get; init; }

    public Identity? OwnerDetails { get; init; }

    public long? Group { get; init; }

    public Identity? GroupDetails { get; init; }

    public long? Size { get; init; }

    public FsTimestamp? AccessTime { get; init; }

    public FsTimestamp? ModificationTime { get; init; }

    public FsTimestamp? ChangeTime { get; init; }

    public FsTimestamp? CreationTime { get; init; }

    public ExtendedAttributes? ExtendedAttributes { get; init; }

    /// <summary>Flags to change, the others kept (what the HTTP body gives); applied after <see cref="ExtendedAttributes"/>.</summary>
    public ExtendedAttributesChange? ExtendedAttributesChange { get; init; }
}

/// <summary>A snapshot as in <c>v2_snapshots.json</c>.</summary>
public sealed record SnapshotInfo(
    long Id,
    string Name,
    FsTimestamp Timestamp,
    string DirectoryName,
    long SourceFileId,
    bool CreatedByPolicy,
    string Expiration,
    bool InDelete);

/// <summary>The kind of a changes-since entry.</summary>
public enum ChangeOp
{
    Create,
    Modify,
    Delete,
}

/// <summary>One changes-since entry: absolute path, directory paths end with '/'.</summary>
public sealed record ChangeEntry(ChangeOp Op, string Path)
{
    public string OpName => Op switch
    {
        ChangeOp.Create => "CREATE",
        ChangeOp.Modify => "MODIFY",
        _ => "DELETE",
    };
}

/// <summary>One page of changes-since; <see cref="Next"/> is the opaque token, null on the last page.</summary>
public sealed record ChangesPage(IReadOnlyList<ChangeEntry> Entries, string? Next);

/// <summary>One path-to-id resolution (<c>files_resolve.json</c>).</summary>
public sealed record ResolvedPath(long Id, string Path);
