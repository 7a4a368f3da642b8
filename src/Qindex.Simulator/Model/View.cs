using System.Globalization;

namespace Qindex.Simulator.Model;

/// <summary>
/// Read access to one model state (live or a snapshot's): node lookup through the overlay into the
/// base, path resolution, listings, attribute rendering. A snapshot view only sees the subtree under
/// the snapshot's source directory.
/// </summary>
internal readonly struct View(ClusterModel model, ModelState state, long? scopeId)
{
    public ModelState State => state;

    private IBaseTree Base => model.BaseTree;

    public NodeState? Node(long id) =>
        state.Nodes.TryGetValue(id, out var node) ? node : Base.Materialize(id);

    /// <summary>Path of a directory by id ("/" for the root, else ending with '/'), or null if detached.</summary>
    public string? DirectoryPath(long dirId)
    {
        if (dirId == ClusterModel.RootId)
        {
            return "/";
        }

        var names = new List<string>(8);
        long current = dirId;
        for (int guard = 0; current != ClusterModel.RootId; guard++)
        {
            var node = Node(current);
            if (node is null || guard > 4096)
            {
                return null;
            }

            names.Add(node.Primary.Name);
            current = node.Primary.ParentId;
        }

        names.Reverse();
        return "/" + string.Join('/', names) + "/";
    }

    /// <summary>Path of an object through a given link.</summary>
    public string? PathOf(NodeState node, EntryLink link)
    {
        if (node.Id == ClusterModel.RootId)
        {
            return "/";
        }

        string? parent = DirectoryPath(link.ParentId);
        return parent is null ? null : parent + link.Name + (node.IsDirectory ? "/" : string.Empty);
    }

    /// <summary>Ids from the root to the object (inclusive), through the given link.</summary>
    public long[] Spine(long id, EntryLink link)
    {
        var ids = new List<long>(8) { id };
        long current = id == ClusterModel.RootId ? 0 : link.ParentId;
        while (current != 0)
        {
            ids.Add(current);
            current = current == ClusterModel.RootId ? 0 : Node(current)!.Primary.ParentId;
        }

        ids.Reverse();
        return [.. ids];
    }

    public bool InScope(string path)
    {
        if (scopeId is null)
        {
            return true;
        }

        string? scopePath = DirectoryPath(scopeId.Value);
        return scopePath is not null && path.StartsWith(scopePath, StringComparison.Ordinal);
    }

    /// <summary>Resolves a reference (id or absolute path) to the object and the path it was reached by.</summary>
    public (NodeState Node, string Path) Resolve(string reference)
    {
        var (node, link) = ResolveLink(reference);
        string path = PathOf(node, link) ?? throw ClusterException.NoSuchEntry(reference);
        if (!InScope(path))
        {
            throw ClusterException.NoSuchEntry(reference);
        }

        return (node, path);
    }

    /// <summary>Resolves a reference to the object and the entry link it was reached by (primary link for ids).</summary>
    public (NodeState Node, EntryLink Link) ResolveLink(string reference)
    {
        if (string.IsNullOrEmpty(reference))
        {
            throw ClusterException.BadRequest("empty file reference");
        }

        if (reference[0] != '/')
        {
            if (!long.TryParse(reference, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
            {
                throw ClusterException.BadRequest($"a file reference is an id or an absolute path, got '{reference}'");
            }

            var byId = Node(id) ?? throw ClusterException.NoSuchEntry(reference);
            return (byId, byId.Primary);
        }

        var current = Node(ClusterModel.RootId)!;
        var link = current.Primary;
        foreach (var part in reference.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!current.IsDirectory)
            {
                throw ClusterException.NotADirectory(reference);
            }

            if (!TryLookup(current.Id, part, out long childId))
            {
                throw ClusterException.NoSuchEntry(reference);
            }

            link = new EntryLink(current.Id, part);
            current = Node(childId)!;
        }

        return (current, link);
    }

    public bool TryLookup(long dirId, string name, out long id)
    {
        if (state.Dirs.TryGetValue(dirId, out var overlay))
        {
            if (overlay.AddedByName.TryGetValue(name, out var added))
            {
                id = added.Id;
                return true;
            }

            if (Base.TryLookup(dirId, name, out var baseEntry) && !overlay.RemovedSlots.Contains(baseEntry.Slot))
            {
                id = baseEntry.Id;
                return true;
            }

            id = 0;
            return false;
        }

        if (Base.TryLookup(dirId, name, out var entry))
        {
            id = entry.Id;
            return true;
        }

        id = 0;
        return false;
    }

    /// <summary>Base slot of a generated entry still present, or -1 if the entry lives in the overlay.</summary>
    public long BaseSlotOf(long dirId, string name)
    {
        if (state.Dirs.TryGetValue(dirId, out var overlay) && overlay.AddedByName.ContainsKey(name))
        {
            return -1;
        }

        return Base.TryLookup(dirId, name, out var e) ? e.Slot : -1;
    }

    public int ChildCount(long dirId)
    {
        int count = Base.EntryCount(dirId);
        if (state.Dirs.TryGetValue(dirId, out var overlay))
        {
            count += overlay.Added.Count - overlay.RemovedSlots.Count;
        }

        return count;
    }

    /// <summary>Entries of a directory in listing order, strictly after <paramref name="after"/>.</summary>
    public IEnumerable<(EntryKey Key, long Id)> EntriesAfter(long dirId, EntryKey? after)
    {
        state.Dirs.TryGetValue(dirId, out var overlay);
        overlay ??= DirOverlay.Empty;
        long afterSlot = after is null ? long.MinValue : after.Value.Key - 1;
        using var baseEntries = Base.Entries(dirId, afterSlot)
            .Where(e => !overlay.RemovedSlots.Contains(e.Slot))
            .Select(e => (Key: new EntryKey(e.Slot, e.Name), e.Id))
            .Where(e => after is null || e.Key.CompareTo(after.Value) > 0)
            .GetEnumerator();
        int index = 0;
        if (after is not null)
        {
            int found = overlay.Added.IndexOf(new AddedEntry(after.Value, 0));
            index = found >= 0 ? found + 1 : ~found;
        }

        bool haveBase = baseEntries.MoveNext();
        while (true)
        {
            bool haveAdded = index < overlay.Added.Count;
            if (!haveBase && !haveAdded)
            {
                yield break;
            }

            if (haveBase && (!haveAdded || baseEntries.Current.Key.CompareTo(overlay.Added[index].Key) < 0))
            {
                yield return baseEntries.Current;
                haveBase = baseEntries.MoveNext();
            }
            else
            {
                var a = overlay.Added[index++];
                yield return (a.Key, a.Id);
            }
        }
    }

    public FsAttributes ToAttributes(NodeState node, string path)
    {
        int? childCount = node.IsDirectory ? ChildCount(node.Id) : null;
        long data = Blocks.Data(node.Type, node.Size);
        long meta = Blocks.Meta(node.Type, data, childCount ?? 0);
        string name = node.Id == ClusterModel.RootId ? string.Empty : LastName(path);
        return new FsAttributes(
            path, name, node.IsDirectory ? 1 : node.Links.Length, node.Type, node.Device, node.SymlinkTargetType,
            node.Id, node.Id, node.Mode, node.Owner, node.OwnerDetails, node.Group, node.GroupDetails,
            data + meta, data, meta, node.Size, node.AccessTime, node.ModificationTime, node.ChangeTime,
            node.CreationTime, childCount, node.ExtendedAttributes, DirectoryHashPolicy.Lower,
            node.DataRevision, node.UserMetadataRevision);
    }

    private static string LastName(string path)
    {
        string trimmed = path.EndsWith('/') ? path[..^1] : path;
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    /// <summary>Recursive totals of an object: itself if not a directory, else its contents.</summary>
    public Totals TotalsOf(NodeState node)
    {
        if (!node.IsDirectory)
        {
            return Own(node);
        }

        return Own(node) + Contents(node.Id);
    }

    private Totals Contents(long dirId)
    {
        if (!state.DirtyDirs.Contains(dirId) && Base.TryGetSubtreeTotals(dirId, out var baseTotals))
        {
            return new Totals(baseTotals.Files, baseTotals.Directories, baseTotals.Symlinks, baseTotals.Others,
                baseTotals.DataBytes, baseTotals.DataBlocks, baseTotals.MetaBlocks, 0, 0);
        }

        var sum = default(Totals);
        foreach (var (_, id) in EntriesAfter(dirId, null))
        {
            sum += TotalsOf(Node(id)!);
        }

        return sum;
    }

    private Totals Own(NodeState node)
    {
        long data = Blocks.Data(node.Type, node.Size);
        long meta = Blocks.Meta(node.Type, data, node.IsDirectory ? ChildCount(node.Id) : 0);
        long streamData = node.Streams.Sum(s => s.Size);
        return new Totals(
            node.Type == FileType.File ? 1 : 0,
            node.IsDirectory ? 1 : 0,
            node.Type == FileType.Symlink ? 1 : 0,
            node.Type is FileType.File or FileType.Directory or FileType.Symlink ? 0 : 1,
            node.Size, data, meta, node.Streams.Length, streamData);
    }
}
