using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>
/// A change set's changes applied in order to a lazy picture of the directory tree, so that a
/// directory move costs the same however many rows lie beneath it: the moved directory is
/// detached from one place and attached at another, and each row under it is rewritten once, when
/// the set is written, whatever number of moves it went through in the set. (Applying each move
/// to every row beneath it cost a watcher batch of 400 directory moves over a million row-moves.)
/// <para>
/// A <see cref="Node"/> stands for a directory. A node taken from the snapshot remembers its
/// snapshot path, its origin, and stands for every snapshot row under the origin that the set has
/// not overridden by name; a node made by the set has no origin. Changes only touch the nodes on
/// their own path, so applying them reads nothing. <see cref="Plan"/> then says which snapshot rows
/// are removed, which move (and where to), and which rows the set adds.
/// </para>
/// <para>
/// Names in a node are keyed as in paths: a directory's key ends with '/', a file's does not, so
/// a file row "/a/b" and the rows under "/a/b/" stay independent, as they are in the table.
/// </para>
/// </summary>
internal sealed class ChangeOverlay
{
    /// <summary>A name the set has made empty (deleted, or moved elsewhere).</summary>
    private static readonly Entry Gone = new GoneEntry();

    private readonly List<string> _retiredRegions = [];
    private readonly List<Node> _retiredNodes = [];

    /// <summary>Files renamed and not yet upserted at their new path: new path to the snapshot path they stand for.</summary>
    private readonly Dictionary<string, string> _renamedFrom = new(StringComparer.Ordinal);
    private Node _root = new("/");

    /// <summary>What a directory's own row is after the set.</summary>
    private enum RowState
    {
        /// <summary>As in the snapshot (at the origin, moved with the directory).</summary>
        Snapshot,

        /// <summary>Replaced by a row the set upserted.</summary>
        Set,

        /// <summary>Deleted (the rows beneath are not).</summary>
        Deleted,
    }

    /// <summary>Applies one change, reading nothing.</summary>
    public void Apply(IndexChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        switch (change.Kind)
        {
            case IndexChangeKind.Upsert when IsDirectory(change.Path):
                {
                    var node = Walk(change.Path);
                    node.Row = RowState.Set;
                    node.Record = change.Record;
                    break;
                }

            case IndexChangeKind.Upsert:
                {
                    var (parent, key) = WalkToParent(change.Path);
                    var file = new FileEntry(change.Record!);
                    var carried = Replace(parent, key, file);
                    file.Carries = _renamedFrom.Remove(change.Path, out var renamed) ? renamed : carried;
                    break;
                }

            case IndexChangeKind.Delete when IsDirectory(change.Path):
                {
                    var node = Walk(change.Path);
                    node.Row = RowState.Deleted;
                    node.Record = null;
                    node.RowDeleted = true;
                    break;
                }

            case IndexChangeKind.Delete:
                {
                    var (parent, key) = WalkToParent(change.Path);
                    Replace(parent, key, Gone);
                    _renamedFrom.Remove(change.Path);
                    break;
                }

            case IndexChangeKind.DeleteSubtree when change.Path == "/":
                _retiredNodes.Add(_root);
                _root = new Node(null);
                break;

            case IndexChangeKind.DeleteSubtree:
                {
                    var (parent, key) = WalkToParent(change.Path);
                    Replace(parent, key, Gone);
                    break;
                }

            case IndexChangeKind.NoteRename when !IsDirectory(change.Path) && !IsDirectory(change.NewPath!):
                {
                    // What the old name stands for now: the snapshot's row, or what an upsert of it did.
                    var (parent, key) = WalkToParent(change.Path);
                    string? carried = parent.Slots?.GetValueOrDefault(key) switch
                    {
                        FileEntry file => file.Carries,
                        null => parent.Origin is { } origin ? origin + key : null,
                        _ => null,
                    };
                    if (carried is not null)
                    {
                        _renamedFrom[change.NewPath!] = carried;
                    }
                    else
                    {
                        _renamedFrom.Remove(change.NewPath!);
                    }

                    break;
                }

            case IndexChangeKind.MoveSubtree when change.Path != change.NewPath:
                {
                    var (from, fromKey) = WalkToParent(change.Path);
                    var moving = Detach(from, fromKey);
                    var (to, toKey) = WalkToParent(change.NewPath!);
                    Replace(to, toKey, (Entry?)moving ?? Gone);
                    break;
                }
        }
    }

    /// <summary>What the changes come to against the snapshot (once: the plan's regions are kept on the nodes).</summary>
    public OverlayPlan Plan()
    {
        var plan = new OverlayPlan();
        foreach (var region in _retiredRegions)
        {
            if (IsDirectory(region))
            {
                plan.Roots.Add(new OverlayRegion(region, null, IncludeSelf: true, Except: null));
            }
            else
            {
                plan.RemovePaths.Add(region);
            }
        }

        // Deleted directories: every snapshot row under them goes, except what moved out before.
        var retired = new Stack<(Node Node, Node? Parent, string? Key)>(_retiredNodes.Select(n => (n, (Node?)null, (string?)null)));
        while (retired.TryPop(out var item))
        {
            var (node, parent, key) = item;
            if (node.Origin is { } origin)
            {
                AddRegion(plan, node, parent, key, new OverlayRegion(origin, null, IncludeSelf: true, node.Slots));
            }

            foreach (var (childKey, child) in node.ChildNodes())
            {
                retired.Push((child, node, childKey));
            }
        }

        var live = new Stack<(Node Node, string Path, Node? Parent, string? Key)>();
        live.Push((_root, "/", null, null));
        while (live.TryPop(out var item))
        {
            var (node, path, parent, parentKey) = item;
            if (node.Row == RowState.Set)
            {
                // A directory the set moved and then refreshed (the watcher refreshes every directory
                // it moves) came from its origin, unless the set deleted its row on the way.
                var record = node.Record!;
                string? from = node.Origin is { } moved && moved != path && !node.RowDeleted ? moved : record.Path == path ? null : record.Path;
                plan.Add.Add(new OverlayRow(path, record.Path == path ? record : record with { Path = path, Name = NameOf(path) }, from));
            }

            if (node.Origin is { } origin)
            {
                if (node.Row != RowState.Snapshot)
                {
                    plan.RemovePaths.Add(origin);
                }

                if (origin != path)
                {
                    AddRegion(plan, node, parent, parentKey, new OverlayRegion(origin, path, IncludeSelf: node.Row == RowState.Snapshot, node.Slots));
                }
            }

            if (node.Slots is null)
            {
                continue;
            }

            foreach (var (key, entry) in node.Slots)
            {
                switch (entry)
                {
                    case FileEntry file:
                        string target = path + key;
                        string? from = file.Carries is { } carried && carried != target ? carried : file.Record.Path == target ? null : file.Record.Path;
                        plan.Add.Add(new OverlayRow(target, file.Record.Path == target ? file.Record : file.Record with { Path = target }, from));
                        break;
                    case Node child:
                        live.Push((child, path + key, node, key));
                        break;
                }
            }
        }

        return plan;
    }

    /// <summary>
    /// The region that decides what happens to the snapshot row at <paramref name="path"/>, found
    /// under <paramref name="root"/>'s origin: the root itself, a region nested in it (a directory
    /// the set touched inside a moved or deleted one), or null when the set overrode the name the
    /// row lies under in some other way (its rows are removed or moved by another part of the plan).
    /// </summary>
    public static OverlayRegion? Owner(OverlayRegion root, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Owner(root, System.Text.Encoding.UTF8.GetBytes(path));
    }

    /// <summary>
    /// <see cref="Owner(OverlayRegion, string)"/> for a path given as its UTF-8 bytes, as the
    /// store's paths cache holds it: a move's rows are sorted into nested regions without a string
    /// each (only the name under a region with exceptions is decoded, to look it up).
    /// </summary>
    public static OverlayRegion? Owner(OverlayRegion root, ReadOnlySpan<byte> pathUtf8)
    {
        ArgumentNullException.ThrowIfNull(root);
        var region = root;
        Span<char> small = stackalloc char[256];
        while (true)
        {
            if (pathUtf8.Length == region.OriginUtf8.Length)
            {
                return region.IncludeSelf ? region : null;
            }

            if (region.Except is null)
            {
                return region;
            }

            var rest = pathUtf8[region.OriginUtf8.Length..];
            int slash = rest.IndexOf((byte)'/');
            var keyUtf8 = slash < 0 ? rest : rest[..(slash + 1)];
            var chars = keyUtf8.Length <= small.Length ? small : new char[keyUtf8.Length];
            var key = chars[..System.Text.Encoding.UTF8.GetChars(keyUtf8, chars)];
            if (!region.Except.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out var entry))
            {
                return region;
            }

            if (entry is Node { Region: { } nested } && nested.OriginUtf8.Length == region.OriginUtf8.Length + keyUtf8.Length && pathUtf8.StartsWith(nested.OriginUtf8))
            {
                region = nested;
                continue;
            }

            return null;
        }
    }

    /// <summary>Gives <paramref name="node"/> its region: nested in its parent's when the node is the parent's own subdirectory, else a root of the plan.</summary>
    private static void AddRegion(OverlayPlan plan, Node node, Node? parent, string? key, OverlayRegion region)
    {
        node.Region = region;
        bool nested = parent is { Region: { } outer } && node.Origin == string.Concat(outer.Origin, key);
        if (!nested)
        {
            plan.Roots.Add(region);
        }
    }

    /// <summary>"/a/b/" is "b"; "/a/b" is "b".</summary>
    public static string NameOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string trimmed = path.TrimEnd('/');
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    private static bool IsDirectory(string path) => path[^1] == '/';

    /// <summary>The node of the directory <paramref name="directory"/>, made on the way where missing.</summary>
    private Node Walk(string directory)
    {
        var node = _root;
        int start = 1;
        while (start < directory.Length)
        {
            int slash = directory.IndexOf('/', start);
            node = Child(node, directory.AsSpan(start, slash + 1 - start));
            start = slash + 1;
        }

        return node;
    }

    /// <summary>The node of the parent directory of <paramref name="path"/> and the path's key in it.</summary>
    private (Node Parent, string Key) WalkToParent(string path)
    {
        int end = IsDirectory(path) ? path.Length - 2 : path.Length - 1;
        int slash = path.LastIndexOf('/', end);
        return (Walk(path[..(slash + 1)]), path[(slash + 1)..]);
    }

    /// <summary>The directory <paramref name="key"/> under <paramref name="parent"/>: the set's own, the snapshot's (made on first use), or a new empty one where the set removed it.</summary>
    private static Node Child(Node parent, ReadOnlySpan<char> key)
    {
        parent.Slots ??= new Dictionary<string, Entry>(StringComparer.Ordinal);
        var slots = parent.Slots.GetAlternateLookup<ReadOnlySpan<char>>();
        if (slots.TryGetValue(key, out var entry) && entry is Node existing)
        {
            return existing;
        }

        // Missing: the snapshot's directory (if the parent has one). Gone: a directory the set made anew.
        var node = new Node(entry is null && parent.Origin is { } origin ? string.Concat(origin, key) : null);
        slots[key] = node;
        return node;
    }

    /// <summary>
    /// Puts <paramref name="entry"/> at <paramref name="key"/>; whatever was there (the snapshot's
    /// rows included) is removed. Returns the snapshot path of the file the name stood for until
    /// now (the snapshot's row, or what an earlier upsert of the name stood for), or null.
    /// </summary>
    private string? Replace(Node parent, string key, Entry entry)
    {
        parent.Slots ??= new Dictionary<string, Entry>(StringComparer.Ordinal);
        string? carried = null;
        if (parent.Slots.TryGetValue(key, out var old))
        {
            if (old is Node node)
            {
                _retiredNodes.Add(node);
            }
            else if (old is FileEntry file)
            {
                carried = file.Carries;
            }
        }
        else if (parent.Origin is { } origin)
        {
            carried = origin + key;
            _retiredRegions.Add(carried);
        }

        parent.Slots[key] = entry;
        return carried;
    }

    /// <summary>Takes the directory at <paramref name="key"/> out of <paramref name="parent"/> to attach it elsewhere; null when there is none.</summary>
    private static Node? Detach(Node parent, string key)
    {
        parent.Slots ??= new Dictionary<string, Entry>(StringComparer.Ordinal);
        Node? node;
        if (parent.Slots.TryGetValue(key, out var entry))
        {
            node = entry as Node;
        }
        else
        {
            node = parent.Origin is { } origin ? new Node(origin + key) : null;
        }

        parent.Slots[key] = Gone;
        return node;
    }

    /// <summary>What a name in a directory holds.</summary>
    internal abstract class Entry
    {
    }

    private sealed class GoneEntry : Entry
    {
    }

    private sealed class FileEntry(FileRecord record) : Entry
    {
        public FileRecord Record { get; } = record;

        /// <summary>
        /// The snapshot path of the file this upsert stands for when the name held one (it may have
        /// moved here with its directory since): the changes log calls the row a rename from there.
        /// </summary>
        public string? Carries { get; set; }
    }

    private sealed class Node(string? origin) : Entry
    {
        /// <summary>The directory's path in the snapshot, or null for a directory the set made.</summary>
        public string? Origin { get; } = origin;

        public RowState Row { get; set; }

        /// <summary>The set deleted the directory's own row at some point (a later upsert is a new row, not the origin's).</summary>
        public bool RowDeleted { get; set; }

        public FileRecord? Record { get; set; }

        /// <summary>Names the set touched, by key; the rest of the origin's rows are as in the snapshot.</summary>
        public Dictionary<string, Entry>? Slots { get; set; }

        /// <summary>The region <see cref="Plan"/> gave this directory, if its snapshot rows move or go.</summary>
        public OverlayRegion? Region { get; set; }

        public IEnumerable<(string Key, Node Child)> ChildNodes() =>
            Slots?.Where(s => s.Value is Node).Select(s => (s.Key, (Node)s.Value)) ?? [];
    }
}

/// <summary>
/// Snapshot rows under <paramref name="Origin"/> that go together: removed (no
/// <paramref name="Target"/>), or moved to <paramref name="Target"/> (the origin's prefix
/// replaced). <paramref name="Except"/> holds the names (keys) the set overrode; rows under those
/// belong to a nested region or elsewhere.
/// </summary>
internal sealed record OverlayRegion(string Origin, string? Target, bool IncludeSelf, Dictionary<string, ChangeOverlay.Entry>? Except)
{
    /// <summary>The origin's UTF-8 bytes: stored paths are searched and cut as bytes.</summary>
    public byte[] OriginUtf8 { get; } = System.Text.Encoding.UTF8.GetBytes(Origin);

    /// <summary>The target's UTF-8 bytes (empty for a deleted region).</summary>
    public byte[] TargetUtf8 { get; } = Target is null ? [] : System.Text.Encoding.UTF8.GetBytes(Target);
}

/// <summary>
/// A row the set writes at <paramref name="Path"/>. <paramref name="From"/> is where it came from
/// when it moved in the set: the snapshot path of the name it stands for (a directory or file
/// refreshed after its move), else the path it was upserted at before a move carried it. The
/// changes log calls the row a rename when the table had a row at <paramref name="From"/>.
/// </summary>
internal sealed record OverlayRow(string Path, FileRecord Row, string? From);

/// <summary>
/// What a change set comes to: snapshot rows removed by path; regions of snapshot rows removed or
/// moved (each row under a root's origin belongs to the region <see cref="ChangeOverlay.Owner(OverlayRegion, ReadOnlySpan{byte})"/>
/// names, if any); rows added.
/// </summary>
internal sealed class OverlayPlan
{
    public List<string> RemovePaths { get; } = [];

    /// <summary>Regions not nested in another: the snapshot is searched once under each.</summary>
    public List<OverlayRegion> Roots { get; } = [];

    public List<OverlayRow> Add { get; } = [];
}
