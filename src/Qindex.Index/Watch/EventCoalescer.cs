using Qindex.Qumulo;

namespace Qindex.Index.Watch;

/// <summary>
/// Turns a window of notifications into one <see cref="WatchPlan"/>: repeated events on a path
/// become one refresh, a <c>*_moved_from</c> followed by its <c>*_moved_to</c> becomes a rename,
/// a lone <c>moved_from</c> a move out and a lone <c>moved_to</c> a move in. A directory rename
/// moves every pending path under the old prefix to the new one, so a change made before the
/// rename is fetched under the path it has now. Pure: no I/O, so every rule is unit-tested.
/// </summary>
public sealed class EventCoalescer
{
    private readonly string _root;
    private readonly List<StructuralStep> _structural = [];
    private readonly PrefixMap<bool> _pending = new(); // path -> crawl (true) or refresh (false)
    private readonly PrefixMap<string> _ids = new(); // path -> id of the object an add or change event named there
    private readonly Dictionary<string, int> _firstSeen = new(StringComparer.Ordinal); // path -> its first place in _order
    private readonly Dictionary<string, string> _namedIds = new(StringComparer.Ordinal); // file path -> id an add or move-in named there, kept after a removal
    private readonly List<string> _order = [];
    private readonly HashSet<string> _gone = new(StringComparer.Ordinal);
    private readonly PrefixMap<string> _renamedFrom = new(); // file's new path -> the path it had before the window's renames
    private readonly PrefixMap<string> _renamedTo = new(); // the reverse, so a directory rename finds both names under it
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private Notification? _dangling;
    private bool _danglingReplay;
    private bool _selfRemoved;

    /// <param name="watchedPath">The watched directory; it is refreshed whenever a direct child changes.</param>
    public EventCoalescer(string watchedPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(watchedPath);
        _root = WatchPaths.AsDirectory(watchedPath);
    }

    /// <summary>Events added since the last <see cref="Build"/>, by type (unknown types included).</summary>
    public IReadOnlyDictionary<string, long> Counts => _counts;

    /// <summary>Events of types this version does not know, since the last <see cref="Build"/>.</summary>
    public long UnknownEvents { get; private set; }

    /// <summary>True when the last event was a <c>moved_from</c> whose <c>moved_to</c> may still come.</summary>
    public bool HasDanglingMove => _dangling is not null;

    /// <summary>Events added since the last <see cref="Build"/>.</summary>
    public long EventCount { get; private set; }

    /// <summary>Adds one notification (its path already absolute, see <see cref="Notification"/>).</summary>
    /// <param name="notification">The event.</param>
    /// <param name="replay">
    /// The event may predate the catch-up just applied (it was buffered while the catch-up ran),
    /// so the index may already show its effect. Everything else is idempotent as it is; a
    /// directory rename is not (the store's move replaces the destination, which the catch-up
    /// already filled), so a replayed rename deletes the old prefix and crawls the new one.
    /// </param>
    public void Add(Notification notification, bool replay = false)
    {
        ArgumentNullException.ThrowIfNull(notification);
        EventCount++;
        _counts[notification.Type] = _counts.GetValueOrDefault(notification.Type) + 1;
        if (_dangling is { } from)
        {
            _dangling = null;
            if (IsMovedToMatching(from, notification))
            {
                Rename(from, notification, replay || _danglingReplay);
                return;
            }

            MovedOut(from);
        }

        var path = notification.Path;
        NoteId(notification);
        switch (notification.Type)
        {
            case "child_file_moved_from":
            case "child_dir_moved_from":
                _dangling = notification;
                _danglingReplay = replay;
                break;
            case "child_file_moved_to":
                Refresh(path);
                RefreshParent(path, notification);
                break;
            case "child_dir_moved_to":
                // Moved in: nothing is sent for the contents that came with it.
                Crawl(WatchPaths.AsDirectory(path));
                RefreshParent(path, notification);
                break;
            case "child_file_added":
                Refresh(path);
                RefreshParent(path, notification);
                break;
            case "child_file_removed":
                Refresh(path);
                MarkGone(path);
                RefreshParent(path, notification);
                break;
            case "child_dir_added":
                Refresh(WatchPaths.AsDirectory(path));
                RefreshParent(path, notification);
                break;
            case "child_dir_removed":
                _structural.Add(new StructuralStep(StructuralKind.DeleteSubtree, WatchPaths.AsDirectory(path)));
                ForgetIdsUnder(WatchPaths.AsDirectory(path));
                Refresh(WatchPaths.AsDirectory(path));
                MarkGone(WatchPaths.AsDirectory(path));
                RefreshParent(path, notification);
                break;
            case "self_removed":
                _selfRemoved = true;
                _structural.Add(new StructuralStep(StructuralKind.DeleteSubtree, _root));
                break;
            default:
                if (!notification.IsKnownType)
                {
                    UnknownEvents++;
                }

                // Attribute, data and named-stream events (and unknown ones, which cost one fetch
                // and can do no harm): the object at the path becomes what the cluster has.
                Refresh(path);
                break;
        }
    }

    /// <summary>Treats a dangling <c>moved_from</c> as a move out of the watched tree.</summary>
    public void FlushDanglingMove()
    {
        if (_dangling is { } from)
        {
            _dangling = null;
            MovedOut(from);
        }
    }

    /// <summary>
    /// The plan for everything added so far; the coalescer starts a new window. A dangling
    /// <c>moved_from</c> stays for the next window (call <see cref="FlushDanglingMove"/> first to
    /// settle it).
    /// </summary>
    public WatchPlan Build()
    {
        var crawl = new List<string>();
        var refresh = new List<string>();
        foreach (var path in _order)
        {
            // A path re-added after a rename moved it away appears twice in _order: remove as we go.
            if (_pending.Remove(path, out var isCrawl))
            {
                (isCrawl ? crawl : refresh).Add(path);
            }
        }

        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in crawl.Concat(refresh))
        {
            if (_ids.TryGetValue(path, out var id))
            {
                ids[path] = id;
            }
        }

        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in refresh)
        {
            if (_namedIds.TryGetValue(path, out var id))
            {
                named[path] = id;
            }
        }

        var directoryIds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in refresh)
        {
            if (WatchPaths.Parent(path) is { } parent && !directoryIds.ContainsKey(parent) && _ids.TryGetValue(parent, out var id))
            {
                directoryIds[parent] = id;
            }
        }

        var gone = refresh.Where(_gone.Contains).ToHashSet(StringComparer.Ordinal);
        var renamed = _renamedFrom.Entries.Where(r => !gone.Contains(r.Key)).ToDictionary(StringComparer.Ordinal);
        var plan = new WatchPlan(_structural.ToArray(), crawl, refresh, _selfRemoved) { Ids = ids, NamedIds = named, Gone = gone, DirectoryIds = directoryIds, RenamedFrom = renamed };
        _gone.Clear();
        _renamedFrom.Clear();
        _renamedTo.Clear();
        _ids.Clear();
        _namedIds.Clear();
        _structural.Clear();
        _pending.Clear();
        _firstSeen.Clear();
        _order.Clear();
        _counts.Clear();
        UnknownEvents = 0;
        EventCount = 0;
        _selfRemoved = false;
        return plan;
    }

    private void NoteId(Notification notification)
    {
        var key = notification.Type == "child_dir_moved_to" || notification.Type == "child_dir_added" ? WatchPaths.AsDirectory(notification.Path) : notification.Path;
        switch (notification.Type)
        {
            case "child_file_removed" or "child_dir_removed" or "child_file_moved_from" or "child_dir_moved_from" or "self_removed":
                // Both spellings: a directory's change events name it without the slash.
                _ids.Remove(WatchPaths.WithoutSlash(notification.Path));
                _ids.Remove(WatchPaths.AsDirectory(notification.Path));
                break;
            default:
                if (notification.Spine.Count > 0)
                {
                    // The spine runs from the watched directory to the object: the one before last
                    // is the directory the event named it in.
                    if (notification.Spine.Count >= 2 && WatchPaths.Parent(key) is { } parent && parent.StartsWith(_root, StringComparison.Ordinal))
                    {
                        _ids[parent] = notification.Spine[^2];
                    }

                    _ids[key] = notification.Spine[^1];
                    if (notification.Type is "child_file_added" or "child_file_moved_to")
                    {
                        _namedIds[key] = notification.Spine[^1];
                    }
                }

                break;
        }
    }

    /// <summary>
    /// Paths under a directory this window deletes are gone for a known reason: a 404 there means
    /// delete, not "moved later", so their ids must not bring them back.
    /// </summary>
    private void ForgetIdsUnder(string directory)
    {
        foreach (var path in _ids.KeysUnder(directory))
        {
            _ids.Remove(path);
        }

        _ids.Remove(WatchPaths.WithoutSlash(directory));
    }

    private static bool IsMovedToMatching(Notification from, Notification to)
    {
        var expected = from.Type == "child_dir_moved_from" ? "child_dir_moved_to" : "child_file_moved_to";
        if (to.Type != expected)
        {
            return false;
        }

        // The spine's last id is the object's: a pair names the same object (when both carry one).
        return from.Spine.Count == 0 || to.Spine.Count == 0 || from.Spine[^1] == to.Spine[^1];
    }

    private void Rename(Notification from, Notification to, bool replay)
    {
        NoteId(from);
        NoteId(to);
        if (from.Type == "child_dir_moved_from")
        {
            var oldDirectory = WatchPaths.AsDirectory(from.Path);
            var newDirectory = WatchPaths.AsDirectory(to.Path);
            _structural.Add(replay
                ? new StructuralStep(StructuralKind.DeleteSubtree, oldDirectory)
                : new StructuralStep(StructuralKind.MoveSubtree, oldDirectory, newDirectory));
            Rekey(oldDirectory, newDirectory);
            if (replay)
            {
                Crawl(newDirectory);
            }
            else
            {
                Refresh(newDirectory);
            }
        }
        else
        {
            // The file is read again at its new path, and its old row removed; the store is told
            // the two are one file, for the changes log (a rename of a rename goes back to the first).
            var first = _renamedFrom.TryGetValue(from.Path, out var earlier) ? earlier : from.Path;
            Refresh(from.Path);
            MarkGone(from.Path);
            Refresh(to.Path);
            NoteRename(first, to.Path);
        }

        RefreshParent(from.Path, from);
        RefreshParent(to.Path, to);
    }

    private void MovedOut(Notification from)
    {
        NoteId(from);
        if (from.Type == "child_dir_moved_from")
        {
            var directory = WatchPaths.AsDirectory(from.Path);
            _structural.Add(new StructuralStep(StructuralKind.DeleteSubtree, directory));
            ForgetIdsUnder(directory);
            Refresh(directory);
            MarkGone(directory);
        }
        else
        {
            Refresh(from.Path);
            MarkGone(from.Path);
        }

        RefreshParent(from.Path, from);
    }

    private void Rekey(string oldDirectory, string newDirectory)
    {
        var bare = WatchPaths.WithoutSlash(oldDirectory);
        // The pending paths under the old prefix, in the order they were first added (the order
        // the plan lists them in).
        var moved = _pending.KeysUnder(oldDirectory);
        if (_pending.ContainsKey(bare))
        {
            moved.Add(bare);
        }

        moved.Sort((a, b) => _firstSeen[a].CompareTo(_firstSeen[b]));
        foreach (var path in moved)
        {
            var isCrawl = _pending[path];
            _pending.Remove(path);
            var target = path == bare ? WatchPaths.WithoutSlash(newDirectory) : newDirectory + path[oldDirectory.Length..];
            bool gone = _gone.Remove(path);
            Put(target, isCrawl);
            if (gone)
            {
                _gone.Add(target);
            }
            if (_ids.Remove(path, out var id))
            {
                _ids[target] = id;
            }

            if (_namedIds.Remove(path, out var named))
            {
                _namedIds[target] = named;
            }
        }

        // Renamed files under the moved directory, by either name, follow it.
        var renamed = _renamedFrom.KeysUnder(oldDirectory).ToHashSet(StringComparer.Ordinal);
        renamed.UnionWith(_renamedTo.KeysUnder(oldDirectory).Select(from => _renamedTo[from]));
        var pairs = renamed.Select(to => (To: to, From: _renamedFrom[to])).ToList();
        foreach (var (to, _) in pairs)
        {
            ForgetRename(to);
        }

        foreach (var (to, from) in pairs)
        {
            NoteRename(Under(from), Under(to));
        }

        string Under(string path) => path.StartsWith(oldDirectory, StringComparison.Ordinal) ? newDirectory + path[oldDirectory.Length..] : path;

        // The ids of directories no pending path is (a write refreshes its file, not its
        // directory) follow too: a batch finds a directory that moved later by this id, and an
        // id left at the old path would belong to whatever is made there next.
        foreach (var path in _ids.KeysUnder(oldDirectory))
        {
            if (_ids.Remove(path, out var id))
            {
                _ids[newDirectory + path[oldDirectory.Length..]] = id;
            }
        }
    }

    private void Refresh(string path) => Put(path, false);

    private void Crawl(string directory) => Put(directory, true);

    /// <summary>
    /// The path's last event (so far) removed or moved the object away: it is known to be missing
    /// without a read, unless a later event of the window names it again (<see cref="Put"/> clears it).
    /// </summary>
    private void MarkGone(string path)
    {
        _gone.Add(path);
        ForgetRename(path);
    }

    private void NoteRename(string from, string to)
    {
        ForgetRename(to);
        if (_renamedTo.Remove(from, out var earlier))
        {
            // The same old path named twice (a file made where a renamed one was, renamed too):
            // the later rename keeps it.
            _renamedFrom.Remove(earlier);
        }

        _renamedFrom[to] = from;
        _renamedTo[from] = to;
    }

    private void ForgetRename(string to)
    {
        if (_renamedFrom.Remove(to, out var from))
        {
            _renamedTo.Remove(from);
        }
    }

    private void Put(string path, bool crawl)
    {
        _gone.Remove(path);
        if (_pending.TryGetValue(path, out var existing))
        {
            _pending[path] = existing || crawl;
            return;
        }

        _pending[path] = crawl;
        _firstSeen.TryAdd(path, _order.Count);
        _order.Add(path);
    }

    private void RefreshParent(string path, Notification notification)
    {
        var parent = WatchPaths.Parent(path);
        if (parent is not null && parent.StartsWith(_root, StringComparison.Ordinal))
        {
            Refresh(parent);

            // The spine runs from the watched directory to the object: the one before last is the parent.
            if (notification.Spine.Count >= 2)
            {
                _ids[parent] = notification.Spine[^2];
            }
        }
    }
}
