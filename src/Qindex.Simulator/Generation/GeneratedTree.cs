using System.Collections.Immutable;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Generation;

/// <summary>
/// A realistic tree derived from (seed, object count) on demand. Only the directory skeleton is
/// held (a few small arrays per directory); every file's name and attributes are pure functions of
/// (seed, id), so ten million objects fit in tens of megabytes. Ids: the root is 2, directories
/// take 2..2+D-1, then file slots follow. A slot is a regular object, or a hard link entry whose
/// object is another slot's file (num_links 2). Names embed the slot id after a '~' so a lookup
/// by name is a parse plus a check.
/// </summary>
public sealed partial class GeneratedTree : IBaseTree
{
    private const int LinkDistance = 997;

    private readonly long _seed;
    private readonly int _dirCount;
    private readonly long _firstSlot;
    private readonly long _slotCount;
    private readonly int[] _parent;          // directory index -> parent directory index (-1 for root)
    private readonly byte[] _depth;
    private readonly int[] _childStart;      // CSR over child directory indexes, ascending
    private readonly int[] _children;
    private readonly long[] _fileStart;      // directory index -> first slot; [D] = end
    private readonly SubtreeTotals[] _totals;
    private readonly FsTimestamp _epoch = FsTimestamp.FromDateTimeOffset(new DateTimeOffset(2015, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Builds the skeleton (linear in the number of objects for the totals pass).</summary>
    public GeneratedTree(GeneratedTreeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ObjectCount < 1 || options.ObjectCount > 2_000_000_000)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "object count must be between 1 and 2,000,000,000");
        }

        _seed = options.Seed;
        long n = options.ObjectCount;
        _dirCount = (int)Math.Max(n >= 3 ? 2 : 1, n / 20);
        _firstSlot = ClusterModel.RootId + _dirCount;
        _slotCount = n - _dirCount;
        _parent = new int[_dirCount];
        _depth = new byte[_dirCount];
        BuildDirectories();
        _childStart = new int[_dirCount + 1];
        _children = new int[Math.Max(0, _dirCount - 1)];
        BuildChildIndex();
        _fileStart = new long[_dirCount + 1];
        DistributeFiles(n);
        _totals = new SubtreeTotals[_dirCount];
        ComputeTotals();
    }

    /// <summary>Number of directories including the root.</summary>
    public int DirectoryCount => _dirCount;

    /// <summary>Number of non-directory entries (files, symlinks, other objects, hard link entries).</summary>
    public long SlotCount => _slotCount;

    /// <summary>Deepest directory level (root is 0).</summary>
    public int MaxDepth => _depth.Max();

    /// <summary>The directory with the most entries, and how many.</summary>
    public (long DirectoryId, int Entries) LargestDirectory
    {
        get
        {
            int best = 0;
            for (int i = 1; i < _dirCount; i++)
            {
                if (EntryCountOf(i) > EntryCountOf(best))
                {
                    best = i;
                }
            }

            return (DirId(best), EntryCountOf(best));
        }
    }

    long IBaseTree.FirstFreeId => _firstSlot + _slotCount;

    private static long DirId(int index) => ClusterModel.RootId + index;

    private int EntryCountOf(int index) =>
        (_childStart[index + 1] - _childStart[index]) + (int)(_fileStart[index + 1] - _fileStart[index]);

    private void BuildDirectories()
    {
        _parent[0] = -1;
        for (int j = 1; j < _dirCount; j++)
        {
            ulong h = Hashing.Of(_seed, j, 1);
            int roll = (int)(h % 100);
            int parent;
            if (roll < 35)
            {
                parent = j - 1;                                       // deepen: long chains
            }
            else if (roll < 70)
            {
                parent = Math.Max(0, j - 1 - (int)((h >> 8) % 64));   // siblings near each other
            }
            else
            {
                double u = Hashing.Unit(Hashing.Mix(h));
                parent = (int)(j * u * u * u);                        // heavy toward the top: wide upper levels
            }

            while (_depth[parent] >= GeneratedTreeOptions.MaxDirectoryDepth)
            {
                parent = _parent[parent];
            }

            _parent[j] = parent;
            _depth[j] = (byte)(_depth[parent] + 1);
        }
    }

    private void BuildChildIndex()
    {
        for (int j = 1; j < _dirCount; j++)
        {
            _childStart[_parent[j] + 1]++;
        }

        for (int i = 0; i < _dirCount; i++)
        {
            _childStart[i + 1] += _childStart[i];
        }

        var fill = new int[_dirCount];
        for (int j = 1; j < _dirCount; j++)
        {
            int p = _parent[j];
            _children[_childStart[p] + fill[p]++] = j;
        }
    }

    private void DistributeFiles(long n)
    {
        var counts = new long[_dirCount];
        long remaining = _slotCount;
        if (n >= GeneratedTreeOptions.LargeDirectoryThreshold && _dirCount > 10)
        {
            // A few very large directories, as real clusters have (mail spools, image dumps).
            for (int k = 0; k < 3; k++)
            {
                int index = 1 + (int)(Hashing.Of(_seed, k, 2) % (ulong)(_dirCount - 1));
                long size = Math.Min(remaining / 4, 100_000 + (long)(Hashing.Of(_seed, k, 3) % 150_000));
                counts[index] += size;
                remaining -= size;
            }
        }

        var weights = new double[_dirCount];
        double total = 0;
        for (int i = 0; i < _dirCount; i++)
        {
            double u = Hashing.Unit(Hashing.Of(_seed, i, 4));
            double w = Math.Min(2000, 1.0 / Math.Pow(1.0 - (u * 0.999), 1.3)) - 0.9; // Pareto-like: most small, few big
            weights[i] = w;
            total += w;
        }

        long assigned = 0;
        for (int i = 0; i < _dirCount; i++)
        {
            long c = (long)Math.Floor(weights[i] / total * remaining);
            counts[i] += c;
            assigned += c;
        }

        for (long left = remaining - assigned, i = 0; left > 0; left--, i = (i + 7919) % _dirCount)
        {
            counts[i]++;
        }

        _fileStart[0] = _firstSlot;
        for (int i = 0; i < _dirCount; i++)
        {
            _fileStart[i + 1] = _fileStart[i] + counts[i];
        }
    }

    private void ComputeTotals()
    {
        for (int i = 0; i < _dirCount; i++)
        {
            long files = 0, symlinks = 0, others = 0, bytes = 0, data = 0, meta = 0;
            for (long s = _fileStart[i]; s < _fileStart[i + 1]; s++)
            {
                long id = LinkTargetOf(s) ?? s;
                var kind = KindOf(id);
                long size = SizeOf(id, kind);
                switch (kind)
                {
                    case FileType.File: files++; break;
                    case FileType.Symlink: symlinks++; break;
                    default: others++; break;
                }

                long d = Blocks.Data(kind, size);
                bytes += size;
                data += d;
                meta += Blocks.Meta(kind, d, 0);
            }

            _totals[i] = new SubtreeTotals(files, 0, symlinks, others, bytes, data, meta);
        }

        for (int j = _dirCount - 1; j >= 1; j--)
        {
            var own = _totals[j];
            int p = _parent[j];
            var t = _totals[p];
            _totals[p] = new SubtreeTotals(
                t.Files + own.Files, t.Directories + own.Directories + 1, t.Symlinks + own.Symlinks,
                t.Others + own.Others, t.DataBytes + own.DataBytes, t.DataBlocks + own.DataBlocks,
                t.MetaBlocks + own.MetaBlocks + Blocks.Meta(FileType.Directory, 0, EntryCountOf(j)));
        }
    }

    // ------------------------------------------------------------------ per-slot pure functions

    private bool IsSlot(long id) => id >= _firstSlot && id < _firstSlot + _slotCount;

    private bool IsDirectoryId(long id) => id >= ClusterModel.RootId && id < _firstSlot;

    private int RawKind(long slot) => (int)(Hashing.Of(_seed, slot, 10) % 10_000);

    /// <summary>If this slot is a hard link entry, the id of the file it names.</summary>
    private long? LinkTargetOf(long slot)
    {
        int roll = RawKind(slot);
        if (roll is < 9770 or >= 9800)
        {
            return null;
        }

        long target = slot - LinkDistance;
        return IsSlot(target) && RawKind(target) < 9300 ? target : null;
    }

    private FileType KindOf(long id)
    {
        int roll = RawKind(id);
        return roll switch
        {
            < 9300 => FileType.File,
            < 9700 => FileType.Symlink,
            < 9720 => FileType.UnixCharacterDevice,
            < 9740 => FileType.UnixBlockDevice,
            < 9760 => FileType.UnixPipe,
            < 9770 => FileType.UnixSocket,
            _ => FileType.File,     // a link band slot whose target did not qualify is a plain file
        };
    }

    private long SizeOf(long id, FileType kind)
    {
        if (kind == FileType.Symlink)
        {
            return SymlinkTarget(id).Length;
        }

        if (kind != FileType.File)
        {
            return 0;
        }

        ulong h = Hashing.Of(_seed, id, 11);
        int band = (int)(h % 1000);
        double u = Hashing.Unit(Hashing.Mix(h));
        // Heavy tail: a third tiny, most under a megabyte, one in a thousand past a gigabyte.
        return band switch
        {
            < 50 => 0,
            < 350 => (long)(u * 4096),
            < 850 => 4096 + (long)(Math.Pow(u, 2) * 1_000_000),
            < 990 => 1_000_000 + (long)(Math.Pow(u, 3) * 500_000_000),
            _ => 1_000_000_000 + (long)(Math.Pow(u, 4) * 200_000_000_000),
        };
    }

    private int DirIndexOfSlot(long slot)
    {
        int lo = 0, hi = _dirCount - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_fileStart[mid] <= slot)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        // Empty directories share a start with the next one; the slot belongs to the last of them.
        return lo;
    }

    // ------------------------------------------------------------------ IBaseTree

    NodeState? IBaseTree.Materialize(long id)
    {
        if (IsDirectoryId(id))
        {
            int index = (int)(id - ClusterModel.RootId);
            if (index == 0)
            {
                return ClusterModel.NewRootNode(_epoch);
            }

            var link = new EntryLink(DirId(_parent[index]), DirectoryName(id));
            return Build(id, FileType.Directory, [link], 0, null);
        }

        if (!IsSlot(id) || LinkTargetOf(id) is not null)
        {
            return null;
        }

        var kind = KindOf(id);
        var primary = new EntryLink(DirId(DirIndexOfSlot(id)), SlotName(id, kind));
        ImmutableArray<EntryLink> links = [primary];
        long linkSlot = id + LinkDistance;
        if (kind == FileType.File && IsSlot(linkSlot) && LinkTargetOf(linkSlot) == id)
        {
            links = links.Add(new EntryLink(DirId(DirIndexOfSlot(linkSlot)), SlotName(linkSlot, FileType.File)));
        }

        return Build(id, kind, links, SizeOf(id, kind), kind == FileType.Symlink ? SymlinkTarget(id) : null);
    }

    bool IBaseTree.TryLookup(long directoryId, string name, out BaseEntry entry)
    {
        entry = default;
        long candidate = ParseEmbeddedId(name);
        if (candidate < 0 || !IsDirectoryId(directoryId))
        {
            return false;
        }

        int dirIndex = (int)(directoryId - ClusterModel.RootId);
        if (IsDirectoryId(candidate) && candidate != ClusterModel.RootId)
        {
            int childIndex = (int)(candidate - ClusterModel.RootId);
            if (_parent[childIndex] != dirIndex || DirectoryName(candidate) != name)
            {
                return false;
            }

            entry = new BaseEntry(candidate, name, candidate);
            return true;
        }

        if (!IsSlot(candidate) || candidate < _fileStart[dirIndex] || candidate >= _fileStart[dirIndex + 1])
        {
            return false;
        }

        long id = LinkTargetOf(candidate) ?? candidate;
        if (SlotName(candidate, KindOf(id)) != name)
        {
            return false;
        }

        entry = new BaseEntry(candidate, name, id);
        return true;
    }

    IEnumerable<BaseEntry> IBaseTree.Entries(long directoryId, long afterSlot)
    {
        if (!IsDirectoryId(directoryId))
        {
            yield break;
        }

        int dirIndex = (int)(directoryId - ClusterModel.RootId);
        int from = _childStart[dirIndex], to = _childStart[dirIndex + 1];
        int lo = from, hi = to;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (DirId(_children[mid]) <= afterSlot)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        for (int k = lo; k < to; k++)
        {
            long id = DirId(_children[k]);
            yield return new BaseEntry(id, DirectoryName(id), id);
        }

        long start = Math.Max(_fileStart[dirIndex], afterSlot == long.MaxValue ? long.MaxValue : afterSlot + 1);
        for (long s = start; s < _fileStart[dirIndex + 1]; s++)
        {
            long id = LinkTargetOf(s) ?? s;
            yield return new BaseEntry(s, SlotName(s, KindOf(id)), id);
        }
    }

    int IBaseTree.EntryCount(long directoryId) =>
        IsDirectoryId(directoryId) ? EntryCountOf((int)(directoryId - ClusterModel.RootId)) : 0;

    bool IBaseTree.TryGetSubtreeTotals(long directoryId, out SubtreeTotals totals)
    {
        if (!IsDirectoryId(directoryId))
        {
            totals = default;
            return false;
        }

        totals = _totals[directoryId - ClusterModel.RootId];
        return true;
    }

    private NodeState Build(long id, FileType kind, ImmutableArray<EntryLink> links, long size, string? target)
    {
        ulong h = Hashing.Of(_seed, id, 20);
        var (owner, group) = Owners(h);
        long created = _epoch.UnixNanoseconds + (long)(Hashing.Of(_seed, id, 21) % (10UL * 365 * 86_400 * 1_000_000_000));
        long modified = created + (long)(Hashing.Of(_seed, id, 22) % (400UL * 86_400 * 1_000_000_000));
        long changed = modified + (long)(Hashing.Of(_seed, id, 23) % (86_400UL * 1_000_000_000));
        long accessed = changed + (long)(Hashing.Of(_seed, id, 24) % (30UL * 86_400 * 1_000_000_000));
        int modeRoll = (int)(h >> 40) % 10;
        int mode = kind == FileType.Directory
            ? modeRoll switch { < 7 => 0x1ED /*0755*/, < 9 => 0x1FD /*0775*/, _ => 0x1C0 /*0700*/ }
            : modeRoll switch { < 6 => 0x1A4 /*0644*/, < 8 => 0x1B4 /*0664*/, < 9 => 0x180 /*0600*/, _ => 0x1ED /*0755*/ };
        var device = kind is FileType.UnixBlockDevice or FileType.UnixCharacterDevice
            ? new MajorMinorNumbers(1 + (int)(h % 250), (int)((h >> 16) % 256))
            : MajorMinorNumbers.None;
        int eaRoll = (int)((h >> 24) % 100);
        var ea = eaRoll switch
        {
            < 90 => ExtendedAttributes.None,
            < 94 => new ExtendedAttributes(Archive: true),
            < 97 => new ExtendedAttributes(Hidden: true),
            < 99 => new ExtendedAttributes(ReadOnly: true),
            _ => new ExtendedAttributes(System: true, Hidden: true),
        };
        var symlinkTargetType = kind == FileType.Symlink
            ? (SymlinkTargetType)((h >> 32) % 3)
            : SymlinkTargetType.Unknown;
        long dataRevision = kind == FileType.File ? 1 + (long)((h >> 48) % 5) : 0;
        return new NodeState(
            id, kind, links, device, symlinkTargetType, mode, AuthIds.For(owner), owner, AuthIds.For(group), group,
            size, new FsTimestamp(accessed), new FsTimestamp(modified), new FsTimestamp(changed), new FsTimestamp(created),
            ea, dataRevision, 0, [], 1, target, 0);
    }

    private (Identity Owner, Identity Group) Owners(ulong h)
    {
        int roll = (int)(h % 100);
        long n = (long)((h >> 8) % 400);
        return roll switch
        {
            < 50 => (new Identity(IdentityType.NfsUid, (1000 + n).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                     new Identity(IdentityType.NfsGid, (100 + (n % 40)).ToString(System.Globalization.CultureInfo.InvariantCulture))),
            < 80 => (new Identity(IdentityType.SmbSid, FormattableString.Invariant($"S-1-5-21-2127521184-1604012920-1887927527-{1100 + n}")),
                     new Identity(IdentityType.SmbSid, FormattableString.Invariant($"S-1-5-21-2127521184-1604012920-1887927527-{513 + (n % 5)}"))),
            _ => (new Identity(IdentityType.LocalUser, FormattableString.Invariant($"user{n % 30}")),
                  new Identity(IdentityType.LocalGroup, FormattableString.Invariant($"group{n % 6}"))),
        };
    }
}
