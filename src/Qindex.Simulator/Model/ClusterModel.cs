using System.Buffers.Text;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Qindex.Simulator.Generation;

namespace Qindex.Simulator.Model;

/// <summary>
/// The simulator's truth: an in-memory Qumulo file system. HTTP-free; the HTTP layer maps each
/// endpoint onto one method. Thread-safe: reads work on an immutable state captured at the start
/// of the call (so they never block), mutations are serialized. References (<c>{ref}</c>) are an
/// id in decimal or an absolute path (already URL-decoded). Errors are <see cref="ClusterException"/>.
/// </summary>
public sealed partial class ClusterModel
{
    /// <summary>The root directory's id, as on a real cluster.</summary>
    public const long RootId = 2;

    internal static readonly Identity AdminUser = new(IdentityType.LocalUser, "admin");
    internal static readonly Identity UsersGroup = new(IdentityType.LocalGroup, "Users");

    private readonly IBaseTree _base;
    private readonly IClusterClock _clock;
    private readonly Lock _gate = new();
    private volatile ModelState _state;

    private ClusterModel(IBaseTree baseTree, IClusterClock clock)
    {
        _base = baseTree;
        _clock = clock;
        _state = new ModelState(
            ImmutableDictionary<long, NodeState?>.Empty,
            ImmutableDictionary<long, DirOverlay>.Empty,
            ImmutableHashSet<long>.Empty,
            Version: 0,
            NextId: baseTree.FirstFreeId);
    }

    /// <summary>A cluster holding only an empty root directory.</summary>
    public static ClusterModel CreateEmpty(IClusterClock? clock = null)
    {
        clock ??= new SystemClusterClock();
        return new ClusterModel(new EmptyBaseTree(clock.Now()), clock);
    }

    /// <summary>A cluster whose tree is generated from a seed (see <see cref="GeneratedTree"/>).</summary>
    public static ClusterModel CreateGenerated(GeneratedTreeOptions options, IClusterClock? clock = null) =>
        new(new GeneratedTree(options), clock ?? new SystemClusterClock());

    /// <summary>A cluster over an already generated tree (to inspect its shape first).</summary>
    public static ClusterModel CreateGenerated(GeneratedTree tree, IClusterClock? clock = null) =>
        new(tree, clock ?? new SystemClusterClock());

    internal IBaseTree BaseTree => _base;

    /// <summary>The generated tree underneath, or null for an explicit tree.</summary>
    public GeneratedTree? Generated => _base as GeneratedTree;

    /// <summary>The current model version; increases by one per mutation.</summary>
    public long Version => _state.Version;

    // ------------------------------------------------------------------ reads

    /// <summary>Attributes of an object, live or at a snapshot.</summary>
    public FsAttributes GetAttributes(string reference, long? snapshotId = null)
    {
        var view = View(snapshotId);
        var (node, path) = view.Resolve(reference);
        return view.ToAttributes(node, path);
    }

    /// <summary>
    /// One page of a directory listing. Order is by an internal key that never changes for an
    /// entry, so pages are stable across concurrent mutations (entries added meanwhile appear on
    /// a later page or not at all, never twice).
    /// </summary>
    public DirectoryPage ListEntries(string reference, int limit, string? after = null, long? snapshotId = null)
    {
        if (limit <= 0)
        {
            throw ClusterException.BadRequest("limit must be a positive number");
        }

        var view = View(snapshotId);
        var (dir, dirPath) = view.Resolve(reference);
        if (!dir.IsDirectory)
        {
            throw ClusterException.NotADirectory(dirPath);
        }

        EntryKey? afterKey = after is null ? null : DecodeEntryToken(after);
        var files = new List<FsAttributes>(Math.Min(limit, 4096));
        string? next = null;
        EntryKey last = default;
        foreach (var (key, id) in view.EntriesAfter(dir.Id, afterKey))
        {
            if (files.Count == limit)
            {
                next = EncodeEntryToken(last);
                break;
            }

            var child = view.Node(id) ?? throw new InvalidOperationException($"dangling entry {id}");
            files.Add(view.ToAttributes(child, dirPath + key.Name + (child.IsDirectory ? "/" : string.Empty)));
            last = key;
        }

        return new DirectoryPage(dirPath, dir.Id, view.ChildCount(dir.Id), files, next);
    }

    /// <summary>Every entry of a directory (all pages), for tests and benchmarks.</summary>
    public IEnumerable<FsAttributes> EnumerateEntries(string reference, long? snapshotId = null)
    {
        string? after = null;
        do
        {
            var page = ListEntries(reference, 1000, after, snapshotId);
            foreach (var f in page.Files)
            {
                yield return f;
            }

            after = page.Next;
        }
        while (after is not null);
    }

    /// <summary>The current (or snapshot) absolute path of an object id.</summary>
    public ResolvedPath ResolveId(long id, long? snapshotId = null)
    {
        var view = View(snapshotId);
        var (node, path) = view.Resolve(id.ToString(CultureInfo.InvariantCulture));
        return new ResolvedPath(node.Id, path);
    }

    /// <summary>
    /// Aggregates of a directory: recursive totals (the directory itself not counted) and one
    /// line per child with that child's recursive totals, largest capacity first.
    /// </summary>
    public DirectoryAggregates GetAggregates(string reference, long? snapshotId = null, int maxEntries = 1000)
    {
        var view = View(snapshotId);
        var (dir, path) = view.Resolve(reference);
        if (!dir.IsDirectory)
        {
            throw ClusterException.NotADirectory(path);
        }

        var entries = new List<AggregateEntry>();
        var total = default(Totals);
        foreach (var (key, id) in view.EntriesAfter(dir.Id, null))
        {
            var child = view.Node(id)!;
            var t = view.TotalsOf(child);
            total += t;
            entries.Add(new AggregateEntry(
                key.Name, child.Type, child.Id, t.Capacity, t.Data * Blocks.BlockSize, t.Meta * Blocks.BlockSize,
                t.Files, t.Directories, t.Symlinks, t.Others, t.StreamData, t.Streams));
        }

        entries.Sort((a, b) => b.CapacityUsage != a.CapacityUsage
            ? b.CapacityUsage.CompareTo(a.CapacityUsage)
            : string.CompareOrdinal(a.Name, b.Name));
        if (entries.Count > maxEntries)
        {
            entries.RemoveRange(maxEntries, entries.Count - maxEntries);
        }

        return new DirectoryAggregates(
            path, dir.Id, entries, total.Capacity, total.Data * Blocks.BlockSize, total.StreamData,
            total.Meta * Blocks.BlockSize, total.Files, total.Directories, total.Symlinks, total.Others, total.Streams);
    }

    /// <summary>Aggregates of a directory and its descendant directories, breadth-first, at most <paramref name="maxDirectories"/>.</summary>
    public IReadOnlyList<DirectoryAggregates> GetRecursiveAggregates(string reference, long? snapshotId = null, int maxEntries = 1000, int maxDirectories = 1000)
    {
        var result = new List<DirectoryAggregates>();
        var queue = new Queue<string>();
        queue.Enqueue(reference);
        while (queue.Count > 0 && result.Count < maxDirectories)
        {
            var agg = GetAggregates(queue.Dequeue(), snapshotId, int.MaxValue);
            foreach (var f in agg.Files.Where(f => f.Type == FileType.Directory))
            {
                queue.Enqueue(f.Id.ToString(CultureInfo.InvariantCulture));
            }

            result.Add(agg with { Files = agg.Files.Take(maxEntries).ToList() });
        }

        return result;
    }

    /// <summary>Named streams of a file.</summary>
    public IReadOnlyList<NamedStream> ListStreams(string reference, long? snapshotId = null)
    {
        var view = View(snapshotId);
        var (node, _) = view.Resolve(reference);
        return node.Streams;
    }

    /// <summary>The target text of a symlink (what reading its data returns).</summary>
    public string GetSymlinkTarget(string reference, long? snapshotId = null)
    {
        var view = View(snapshotId);
        var (node, path) = view.Resolve(reference);
        return node.Type == FileType.Symlink && node.SymlinkTarget is not null
            ? node.SymlinkTarget
            : throw ClusterException.InvalidArgument($"{path}: not a symlink");
    }

    // ------------------------------------------------------------------ helpers shared by reads and writes

    private View View(long? snapshotId)
    {
        if (snapshotId is null)
        {
            return new View(this, _state, null);
        }

        var snap = GetSnapshotRecord(snapshotId.Value);
        return new View(this, snap.State, snap.Info.SourceFileId);
    }

    private static string EncodeEntryToken(EntryKey key)
    {
        string raw = key.Key.ToString(CultureInfo.InvariantCulture) + "\n" + key.Name;
        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(raw));
    }

    private static EntryKey DecodeEntryToken(string token)
    {
        try
        {
            string raw = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            int nl = raw.IndexOf('\n', StringComparison.Ordinal);
            return new EntryKey(long.Parse(raw[..nl], NumberStyles.None, CultureInfo.InvariantCulture), raw[(nl + 1)..]);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw ClusterException.BadRequest($"invalid paging token '{token}'");
        }
    }

    internal static NodeState NewRootNode(FsTimestamp created) => new(
        RootId, FileType.Directory, [new EntryLink(0, string.Empty)], MajorMinorNumbers.None,
        SymlinkTargetType.Unknown, Convert.ToInt32("777", 8), AuthIds.For(AdminUser), AdminUser,
        AuthIds.For(UsersGroup), UsersGroup, 0, created, created, created, created,
        ExtendedAttributes.None, 0, 0, [], 1, null, 0);

    /// <summary>Validates an entry name: 1..255 UTF-8 bytes, no '/', not "." or "..", no NUL.</summary>
    internal static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
        {
            throw ClusterException.InvalidArgument($"invalid entry name '{name}'");
        }

        if (Encoding.UTF8.GetByteCount(name) > 255)
        {
            throw new ClusterException(400, "qfsd.fs", "fs_name_too_long_error", "entry name longer than 255 bytes");
        }
    }
}

/// <summary>Block accounting shared by the model and the generator.</summary>
internal static class Blocks
{
    public const long BlockSize = 4096;

    public static long Data(FileType type, long size) =>
        type is FileType.File or FileType.Symlink ? (size + BlockSize - 1) / BlockSize : 0;

    public static long Meta(FileType type, long dataBlocks, int childCount) => type switch
    {
        FileType.Directory => 1 + (childCount / 128),
        _ => 1 + (dataBlocks / 1024),
    };
}

/// <summary>Maps an identity onto the numeric auth id reported in <c>owner</c> / <c>group</c>.</summary>
public static class AuthIds
{
    /// <summary>A deterministic auth id: a kind prefix in the high bits, the value (or its hash) below.</summary>
    public static long For(Identity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        long low = long.TryParse(identity.IdValue, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v < (1L << 32)
            ? v
            : (long)(Hashing.Fnv(identity.IdValue) & 0xFFFF_FFFF);
        long prefix = identity.IdType switch
        {
            IdentityType.NfsUid => 3,
            IdentityType.NfsGid => 4,
            IdentityType.SmbSid => 5,
            IdentityType.LocalUser => 0,
            IdentityType.LocalGroup => 0,
            _ => 6,
        };
        if (identity.IdType == IdentityType.LocalUser && identity.IdValue == "admin")
        {
            return 500;
        }

        if (identity.IdType == IdentityType.LocalGroup && identity.IdValue == "Users")
        {
            return 513;
        }

        return (prefix << 32) | low;
    }
}

/// <summary>Recursive totals while aggregating.</summary>
internal readonly record struct Totals(long Files, long Directories, long Symlinks, long Others, long DataBytes, long Data, long Meta, long Streams, long StreamData)
{
    public long Capacity => ((Data + Meta) * Blocks.BlockSize) + StreamData;

    public static Totals operator +(Totals a, Totals b) => new(
        a.Files + b.Files, a.Directories + b.Directories, a.Symlinks + b.Symlinks, a.Others + b.Others,
        a.DataBytes + b.DataBytes, a.Data + b.Data, a.Meta + b.Meta, a.Streams + b.Streams, a.StreamData + b.StreamData);
}
