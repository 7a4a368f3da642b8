using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Qindex.Simulator.Model;

/// <content>Snapshots and changes-since.</content>
public sealed partial class ClusterModel
{
    private readonly Dictionary<long, SnapshotRecord> _snapshots = [];
    private long _nextSnapshotId = 1;
    private (long Newer, long Older, List<ChangeEntry> Entries)? _lastDiff;

    /// <summary>A snapshot's metadata and the immutable state it captured.</summary>
    private sealed record SnapshotRecord(SnapshotInfo Info, ModelState State);

    /// <summary>Creates a snapshot of the tree under a directory. O(1): it keeps a reference to the current immutable state.</summary>
    public SnapshotInfo CreateSnapshot(long sourceFileId = RootId, string? name = null, string? expiration = null)
    {
        lock (_gate)
        {
            var view = new View(this, _state, null);
            var (dir, path) = view.Resolve(sourceFileId.ToString(CultureInfo.InvariantCulture));
            RequireDirectory(dir, path);
            long id = _nextSnapshotId++;
            string snapshotName = string.IsNullOrEmpty(name) ? $"snapshot_{id}" : name;
            var info = new SnapshotInfo(id, snapshotName, _clock.Now(), $"{id}_{snapshotName}", dir.Id, false, expiration ?? string.Empty, false);
            _snapshots[id] = new SnapshotRecord(info, _state);
            return info;
        }
    }

    /// <summary>All snapshots, by id.</summary>
    public IReadOnlyList<SnapshotInfo> ListSnapshots()
    {
        lock (_gate)
        {
            return [.. _snapshots.Values.Select(s => s.Info).OrderBy(s => s.Id)];
        }
    }

    /// <summary>One snapshot.</summary>
    public SnapshotInfo GetSnapshot(long id) => GetSnapshotRecord(id).Info;

    /// <summary>Deletes a snapshot; its captured state becomes garbage unless other snapshots share it.</summary>
    public void DeleteSnapshot(long id)
    {
        lock (_gate)
        {
            if (!_snapshots.Remove(id))
            {
                throw ClusterException.NoSuchSnapshot(id);
            }

            _lastDiff = null;
            PruneChangeLog();
        }
    }

    private SnapshotRecord GetSnapshotRecord(long id)
    {
        lock (_gate)
        {
            return _snapshots.TryGetValue(id, out var record) ? record : throw ClusterException.NoSuchSnapshot(id);
        }
    }

    /// <summary>
    /// The net difference between two snapshots, paged. Cost grows with the number of objects
    /// changed between them, not with the tree. Order: by path (ordinal), DELETE before CREATE
    /// before MODIFY for the same path.
    /// </summary>
    public ChangesPage ChangesSince(long newerId, long olderId, string? after = null, int limit = 1000)
    {
        if (limit <= 0)
        {
            throw ClusterException.BadRequest("limit must be a positive number");
        }

        var newer = GetSnapshotRecord(newerId);
        var older = GetSnapshotRecord(olderId);
        int start = 0;
        if (after is not null)
        {
            try
            {
                start = int.Parse(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(after)), NumberStyles.None, CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw ClusterException.BadRequest($"invalid paging token '{after}'");
            }
        }

        List<ChangeEntry> entries;
        HashSet<long> touched;
        lock (_gate)
        {
            if (_lastDiff is { } cached && cached.Newer == newerId && cached.Older == olderId)
            {
                entries = cached.Entries;
                touched = [];
            }
            else
            {
                entries = [];
                touched = TouchedBetween(newer.State.Version, older.State.Version);
            }
        }

        if (touched.Count > 0)
        {
            // Both states are immutable: the comparison runs without holding up mutations.
            entries = ComputeChanges(newer, older, touched);
            lock (_gate)
            {
                _lastDiff = (newerId, olderId, entries);
            }
        }

        var page = entries.Skip(start).Take(limit).ToList();
        int end = start + page.Count;
        string? next = end < entries.Count
            ? Base64Url.EncodeToString(Encoding.UTF8.GetBytes(end.ToString(CultureInfo.InvariantCulture)))
            : null;
        return new ChangesPage(page, next);
    }

    private HashSet<long> TouchedBetween(long versionA, long versionB)
    {
        long low = Math.Min(versionA, versionB);
        long high = Math.Max(versionA, versionB);
        var touched = new HashSet<long>();
        for (int i = LowerBound(low + 1); i < _changeLog.Count && _changeLog[i].Version <= high; i++)
        {
            touched.Add(_changeLog[i].Id);
        }

        return touched;
    }

    private List<ChangeEntry> ComputeChanges(SnapshotRecord newer, SnapshotRecord older, HashSet<long> touched)
    {
        var oldView = new View(this, older.State, older.Info.SourceFileId);
        var newView = new View(this, newer.State, newer.Info.SourceFileId);
        var result = new List<ChangeEntry>();
        var deletedDirs = new HashSet<string>(StringComparer.Ordinal);
        var createdDirs = new HashSet<string>(StringComparer.Ordinal);
        foreach (long id in touched)
        {
            var oldNode = oldView.Node(id);
            var newNode = newView.Node(id);
            var oldPaths = PathsIn(oldView, oldNode);
            var newPaths = PathsIn(newView, newNode);
            foreach (string p in oldPaths)
            {
                if (!newPaths.Contains(p))
                {
                    result.Add(new ChangeEntry(ChangeOp.Delete, p));
                    if (p.EndsWith('/'))
                    {
                        deletedDirs.Add(p);
                    }
                }
                else if (oldNode!.Stamp != newNode!.Stamp)
                {
                    result.Add(new ChangeEntry(ChangeOp.Modify, p));
                }
            }

            foreach (string p in newPaths)
            {
                if (!oldPaths.Contains(p))
                {
                    result.Add(new ChangeEntry(ChangeOp.Create, p));
                    if (p.EndsWith('/'))
                    {
                        createdDirs.Add(p);
                    }
                }
            }
        }

        result.RemoveAll(e => e.Op switch
        {
            ChangeOp.Delete => HasAncestorIn(e.Path, deletedDirs),
            ChangeOp.Create => HasAncestorIn(e.Path, createdDirs),
            _ => false,
        });
        result.Sort((a, b) =>
        {
            int c = string.CompareOrdinal(a.Path, b.Path);
            return c != 0 ? c : a.Op == b.Op ? 0 : a.Op == ChangeOp.Delete ? -1 : b.Op == ChangeOp.Delete ? 1 : a.Op.CompareTo(b.Op);
        });
        return result;
    }

    private static HashSet<string> PathsIn(View view, NodeState? node)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        if (node is null)
        {
            return paths;
        }

        foreach (var link in node.Links)
        {
            string? path = view.PathOf(node, link);
            if (path is not null && view.InScope(path))
            {
                paths.Add(path);
            }
        }

        return paths;
    }

    private static bool HasAncestorIn(string path, HashSet<string> directories)
    {
        if (directories.Count == 0)
        {
            return false;
        }

        string trimmed = path.EndsWith('/') ? path[..^1] : path;
        for (int slash = trimmed.LastIndexOf('/'); slash > 0; slash = trimmed.LastIndexOf('/', slash - 1))
        {
            if (directories.Contains(trimmed[..(slash + 1)]))
            {
                return true;
            }
        }

        return false;
    }

    private int LowerBound(long version)
    {
        int lo = 0, hi = _changeLog.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (_changeLog[mid].Version < version)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>Log entries older than every snapshot can never be asked for again.</summary>
    private void PruneChangeLog()
    {
        long oldest = _snapshots.Count == 0 ? _state.Version : _snapshots.Values.Min(s => s.State.Version);
        int drop = LowerBound(oldest + 1);
        if (drop > 0)
        {
            _changeLog.RemoveRange(0, drop);
        }
    }
}
