namespace Qindex.Simulator.Churn;

/// <summary>What kind of object a churn entry is; only regular files take data and named streams.</summary>
internal enum ChurnKind
{
    File,
    Directory,
    Symlink,
    Other,
}

/// <summary>One directory entry the workload knows of. Paths are derived from the parent chain, so a directory rename is O(1).</summary>
internal sealed class ChurnEntry
{
    public ChurnEntry(string name, ChurnKind kind, string id, ChurnEntry? parent)
    {
        Name = name;
        Kind = kind;
        Id = id;
        Parent = parent;
    }

    public string Name { get; set; }

    public ChurnKind Kind { get; }

    /// <summary>The file id; hard links share it.</summary>
    public string Id { get; }

    public ChurnEntry? Parent { get; set; }

    /// <summary>Children by name, for directories.</summary>
    public Dictionary<string, ChurnEntry> Children { get; } = new(StringComparer.Ordinal);

    /// <summary>Position in its area's list, for O(1) removal.</summary>
    public int Slot { get; set; } = -1;

    public bool IsDirectory => Kind == ChurnKind.Directory;

    /// <summary>Levels below its area's root (the root is 0).</summary>
    public int Depth
    {
        get
        {
            var depth = 0;
            for (var e = Parent; e is not null; e = e.Parent)
            {
                depth++;
            }

            return depth;
        }
    }

    /// <summary>Absolute path; directories end with '/'.</summary>
    public string Path
    {
        get
        {
            if (Parent is null)
            {
                return Name;
            }

            // One concatenation of the names up the chain: a step asks for paths many times, at any depth.
            var names = new List<string>(16);
            var e = this;
            for (; e.Parent is not null; e = e.Parent)
            {
                names.Add(e.Name);
            }

            // e is the area's root, whose name is its absolute path with a trailing '/'.
            names.Reverse();
            var path = e.Name + string.Join('/', names);
            return IsDirectory ? path + "/" : path;
        }
    }

    /// <summary>Absolute path without the trailing '/', as RENAME's old_path and CREATE_LINK's target take it.</summary>
    public string PlainPath => Path.TrimEnd('/');

    public bool IsWithin(ChurnEntry ancestor)
    {
        for (var e = this; e is not null; e = e.Parent)
        {
            if (ReferenceEquals(e, ancestor))
            {
                return true;
            }
        }

        return false;
    }

    public IEnumerable<ChurnEntry> Subtree()
    {
        var stack = new Stack<ChurnEntry>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var e = stack.Pop();
            yield return e;
            foreach (var child in e.Children.Values)
            {
                stack.Push(child);
            }
        }
    }
}

/// <summary>
/// The entries of one area (the churned directory, or the scratch directory beside it): directories
/// and non-directories in lists that allow a uniform random pick and O(1) removal. Order depends only
/// on the sequence of changes, which keeps the workload deterministic.
/// </summary>
internal sealed class ChurnArea
{
    public ChurnArea(ChurnEntry root)
    {
        Root = root;
        Add(root);
    }

    public ChurnEntry Root { get; }

    public List<ChurnEntry> Directories { get; } = [];

    public List<ChurnEntry> Files { get; } = [];

    public int Count => Directories.Count + Files.Count;

    public void Add(ChurnEntry entry)
    {
        var list = entry.IsDirectory ? Directories : Files;
        entry.Slot = list.Count;
        list.Add(entry);
    }

    public void Remove(ChurnEntry entry)
    {
        var list = entry.IsDirectory ? Directories : Files;
        var last = list[^1];
        list[entry.Slot] = last;
        last.Slot = entry.Slot;
        list.RemoveAt(list.Count - 1);
        entry.Slot = -1;
    }

    /// <summary>Places a new entry under <paramref name="parent"/>.</summary>
    public void Attach(ChurnEntry parent, ChurnEntry entry)
    {
        entry.Parent = parent;
        parent.Children.Add(entry.Name, entry);
        Add(entry);
    }

    /// <summary>Forgets an entry and everything below it.</summary>
    public void Detach(ChurnEntry entry)
    {
        entry.Parent?.Children.Remove(entry.Name);
        foreach (var e in entry.Subtree().ToList())
        {
            Remove(e);
        }
    }
}
