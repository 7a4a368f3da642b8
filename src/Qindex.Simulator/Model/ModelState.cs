using System.Collections.Immutable;

namespace Qindex.Simulator.Model;

/// <summary>One directory entry location of an object: parent directory id and entry name.</summary>
internal readonly record struct EntryLink(long ParentId, string Name);

/// <summary>
/// Everything the model knows about one object except its path and child count (both derived).
/// Immutable: a mutation replaces the record, so snapshots keep the old one for free.
/// <see cref="Stamp"/> is the model version that last changed the object (0 for untouched
/// generated objects); changes-since compares stamps.
/// </summary>
internal sealed record NodeState(
    long Id,
    FileType Type,
    ImmutableArray<EntryLink> Links,
    MajorMinorNumbers Device,
    SymlinkTargetType SymlinkTargetType,
    int Mode,
    long Owner,
    Identity OwnerDetails,
    long Group,
    Identity GroupDetails,
    long Size,
    FsTimestamp AccessTime,
    FsTimestamp ModificationTime,
    FsTimestamp ChangeTime,
    FsTimestamp CreationTime,
    ExtendedAttributes ExtendedAttributes,
    long DataRevision,
    long UserMetadataRevision,
    ImmutableArray<NamedStream> Streams,
    long NextStreamId,
    string? SymlinkTarget,
    long Stamp)
{
    public EntryLink Primary => Links[0];

    public bool IsDirectory => Type == FileType.Directory;
}

/// <summary>Order of entries in a listing: the key (object id, or base slot), then the name.</summary>
internal readonly record struct EntryKey(long Key, string Name) : IComparable<EntryKey>
{
    public int CompareTo(EntryKey other)
    {
        int c = Key.CompareTo(other.Key);
        return c != 0 ? c : string.CompareOrdinal(Name, other.Name);
    }
}

/// <summary>An entry added to a directory after generation (or every entry of an explicit tree).</summary>
internal readonly record struct AddedEntry(EntryKey Key, long Id) : IComparable<AddedEntry>
{
    public int CompareTo(AddedEntry other) => Key.CompareTo(other.Key);
}

/// <summary>How a directory's entries differ from the generated base.</summary>
internal sealed record DirOverlay(
    ImmutableHashSet<long> RemovedSlots,
    ImmutableSortedSet<AddedEntry> Added,
    ImmutableDictionary<string, AddedEntry> AddedByName)
{
    public static DirOverlay Empty { get; } = new(
        ImmutableHashSet<long>.Empty,
        ImmutableSortedSet<AddedEntry>.Empty,
        ImmutableDictionary.Create<string, AddedEntry>(StringComparer.Ordinal));
}

/// <summary>
/// The whole overlay at one model version. Immutable, so a snapshot is a reference to it.
/// A null node value means a generated object that was deleted.
/// </summary>
internal sealed record ModelState(
    ImmutableDictionary<long, NodeState?> Nodes,
    ImmutableDictionary<long, DirOverlay> Dirs,
    ImmutableHashSet<long> DirtyDirs,
    long Version,
    long NextId);
