namespace Qindex.Simulator.Model;

/// <summary>A generated (or empty) directory entry: its slot (order key), name and object id.</summary>
internal readonly record struct BaseEntry(long Slot, string Name, long Id);

/// <summary>Recursive totals of a generated subtree, precomputed at generation time.</summary>
internal readonly record struct SubtreeTotals(long Files, long Directories, long Symlinks, long Others, long DataBytes, long DataBlocks, long MetaBlocks);

/// <summary>
/// The unchanged part of the tree: pure functions of the generator's inputs. The model's overlay
/// (<see cref="ModelState"/>) says what differs from it.
/// </summary>
internal interface IBaseTree
{
    /// <summary>First id never used by the base; new objects get ids from here on.</summary>
    long FirstFreeId { get; }

    /// <summary>The object with this id as generated, or null if the base has no such object.</summary>
    NodeState? Materialize(long id);

    /// <summary>Finds a generated entry by name in a generated directory.</summary>
    bool TryLookup(long directoryId, string name, out BaseEntry entry);

    /// <summary>Generated entries of a directory in slot order, starting after <paramref name="afterSlot"/>.</summary>
    IEnumerable<BaseEntry> Entries(long directoryId, long afterSlot);

    /// <summary>Number of generated entries of a directory.</summary>
    int EntryCount(long directoryId);

    /// <summary>Recursive totals of a generated directory (excluding the directory itself), if known.</summary>
    bool TryGetSubtreeTotals(long directoryId, out SubtreeTotals totals);
}

/// <summary>A base with only an empty root directory: explicit trees are built entirely in the overlay.</summary>
internal sealed class EmptyBaseTree(FsTimestamp created) : IBaseTree
{
    public long FirstFreeId => ClusterModel.RootId + 1;

    public NodeState? Materialize(long id) =>
        id == ClusterModel.RootId ? ClusterModel.NewRootNode(created) : null;

    public bool TryLookup(long directoryId, string name, out BaseEntry entry)
    {
        entry = default;
        return false;
    }

    public IEnumerable<BaseEntry> Entries(long directoryId, long afterSlot) => [];

    public int EntryCount(long directoryId) => 0;

    public bool TryGetSubtreeTotals(long directoryId, out SubtreeTotals totals)
    {
        totals = default;
        return directoryId == ClusterModel.RootId;
    }
}
