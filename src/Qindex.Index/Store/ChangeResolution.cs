using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>
/// What a change set comes to once its changes are applied in order against one snapshot: the
/// final row (or its absence) for every path it touches, and what each path was before. Touched
/// paths are also kept by directory, so a subtree change finds the ones under its prefix without
/// scanning all of them (a watcher batch holds hundreds of subtree changes and tens of thousands
/// of paths).
/// </summary>
internal sealed class ChangeResolution
{
    private readonly Dictionary<string, FileRecord?> _final = new(StringComparer.Ordinal);

    // Directory path to the touched paths (and intermediate directories) directly under it.
    private readonly Dictionary<string, HashSet<string>> _children = new(StringComparer.Ordinal);

    /// <summary>The final state of every touched path: a row, or null for gone.</summary>
    public IReadOnlyDictionary<string, FileRecord?> Final => _final;

    /// <summary>The row each touched path had in the snapshot (only for rows read whole, for the changes log).</summary>
    public Dictionary<string, FileRecord> Before { get; } = new(StringComparer.Ordinal);

    /// <summary>Where resolving spent its reads (for <see cref="ChangeSetTimings"/>).</summary>
    public (int Files, long Paths, double Seconds) PathsRead { get; set; }

    /// <summary>Whole rows read for moves, and the seconds it took.</summary>
    public (long Rows, double Seconds) RowsRead { get; set; }

    /// <summary>The snapshot's live rows under each prefix searched so far (the snapshot does not change while a set resolves).</summary>
    public Dictionary<string, List<(string Path, RowLocator At)>> SnapshotRowsUnder { get; } = new(StringComparer.Ordinal);

    /// <summary>Renames: new path to old path, for the changes log.</summary>
    public Dictionary<string, string> MovedFrom { get; } = new(StringComparer.Ordinal);

    /// <summary>Sets the final state of <paramref name="path"/>: a row, or null for gone.</summary>
    public void Set(string path, FileRecord? row)
    {
        if (_final.TryAdd(path, row))
        {
            Link(path);
        }
        else
        {
            _final[path] = row;
        }
    }

    /// <summary>Touched paths that start with the directory path <paramref name="prefix"/>, itself included.</summary>
    public List<string> TouchedUnder(string prefix)
    {
        var result = new List<string>();
        if (_final.ContainsKey(prefix))
        {
            result.Add(prefix);
        }

        var pending = new Stack<string>();
        pending.Push(prefix);
        while (pending.TryPop(out var directory))
        {
            if (!_children.TryGetValue(directory, out var children))
            {
                continue;
            }

            foreach (var child in children)
            {
                if (_final.ContainsKey(child))
                {
                    result.Add(child);
                }

                if (child[^1] == '/')
                {
                    pending.Push(child);
                }
            }
        }

        return result;
    }

    private void Link(string path)
    {
        // Climb until an ancestor is already linked: from there up the chain exists.
        string child = path;
        while (ParentOf(child) is { } parent)
        {
            if (_children.TryGetValue(parent, out var siblings))
            {
                siblings.Add(child);
                return;
            }

            _children[parent] = new HashSet<string>(StringComparer.Ordinal) { child };
            child = parent;
        }
    }

    /// <summary>"/a/b/c" and "/a/b/c/" have the parent "/a/b/"; "/" has none.</summary>
    private static string? ParentOf(string path)
    {
        int end = path[^1] == '/' ? path.Length - 2 : path.Length - 1;
        if (end < 0)
        {
            return null;
        }

        int slash = path.LastIndexOf('/', end);
        return slash < 0 ? null : path[..(slash + 1)];
    }
}
