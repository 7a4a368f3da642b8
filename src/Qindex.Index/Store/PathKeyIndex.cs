using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace Qindex.Index.Store;

/// <summary>Where a live row is: a data file (by the store's number for it) and its row position.</summary>
internal readonly record struct RowLocator(int File, int Position);

/// <summary>
/// The store's compact key index: a 128-bit hash of each live row's path mapped to where that row
/// is, so a batch of changes finds the rows it replaces without reading the table. Rebuilt from
/// the files when the store opens (or another writer changed the table), updated by every commit
/// and compaction. With the row's size, 44 bytes a row, and an eighth more held free (about 500
/// MB at 10M rows).
/// A 128-bit XxHash makes two live paths sharing a key a 1 in 10^25 event at 10M rows, so the
/// index treats equal keys as equal paths; the decision record says why this replaced reading the
/// row back on a 64-bit match.
/// </summary>
internal sealed class PathKeyIndex
{
    private const long NoSize = long.MinValue;
    private readonly Dictionary<Key, (long Packed, long Size)> _rows;
    private long[] _gone = new long[64];

    /// <summary>
    /// A key index sized for <paramref name="rows"/> rows and an eighth more: a table sized to the
    /// rows exactly doubles at the watcher's first few creates (at 10M rows that took 1 GB).
    /// </summary>
    public PathKeyIndex(int rows = 0) => _rows = new Dictionary<Key, (long, long)>(rows + (rows / 8));

    /// <summary>Live rows indexed.</summary>
    public int Count => _rows.Count;

    /// <summary>Rows the index holds before it grows.</summary>
    internal int Capacity => _rows.EnsureCapacity(0);

    /// <summary>The key of a path given as its UTF-8 bytes (the same key as the string's).</summary>
    public static UInt128 KeyOf(ReadOnlySpan<byte> utf8) => XxHash128.HashToUInt128(utf8);

    /// <summary>The key of a path: XxHash128 of its UTF-8 bytes.</summary>
    public static UInt128 KeyOf(string path)
    {
        int max = Encoding.UTF8.GetMaxByteCount(path.Length);
        if (max <= 1024)
        {
            Span<byte> buffer = stackalloc byte[max];
            int n = Encoding.UTF8.GetBytes(path, buffer);
            return XxHash128.HashToUInt128(buffer[..n]);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            int n = Encoding.UTF8.GetBytes(path, rented);
            return XxHash128.HashToUInt128(rented.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public bool TryGet(UInt128 key, out RowLocator locator) => TryGet(key, out locator, out _);

    /// <summary>The row's locator and its <c>size</c> column (kept so the changes log can say the size before a change).</summary>
    public bool TryGet(UInt128 key, out RowLocator locator, out long? size)
    {
        if (_rows.TryGetValue(new Key(key), out var entry))
        {
            locator = Unpack(entry.Packed);
            size = entry.Size == NoSize ? null : entry.Size;
            return true;
        }

        locator = default;
        size = null;
        return false;
    }

    public void Set(UInt128 key, RowLocator locator, long? size)
    {
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_rows, new Key(key), out bool existed);
        long packed = Pack(locator);
        if (existed && entry.Packed != packed)
        {
            CountGone(Unpack(entry.Packed).File);
        }

        entry = (packed, size ?? NoSize);
    }

    public bool Remove(UInt128 key)
    {
        if (!_rows.Remove(new Key(key), out var entry))
        {
            return false;
        }

        CountGone(Unpack(entry.Packed).File);
        return true;
    }

    /// <summary>
    /// Rows of data file <paramref name="file"/> this index has stopped pointing at (deleted, or
    /// replaced by a row elsewhere) since it was built. A row once gone never comes back: a file
    /// never changes, and a row's new place is always in a newer file.
    /// </summary>
    public long GoneFrom(int file) => file < _gone.Length ? _gone[file] : 0;

    private void CountGone(int file)
    {
        if (file >= _gone.Length)
        {
            Array.Resize(ref _gone, Math.Max(file + 1, 2 * _gone.Length));
        }

        _gone[file]++;
    }

    /// <summary>Removes every entry that points into <paramref name="file"/>.</summary>
    public void RemoveFile(int file)
    {
        foreach (var (key, entry) in _rows)
        {
            if (Unpack(entry.Packed).File == file)
            {
                _rows.Remove(key);
            }
        }
    }

    private static long Pack(RowLocator l) => ((long)l.File << 32) | (uint)l.Position;

    private static RowLocator Unpack(long packed) => new((int)(packed >> 32), (int)(uint)packed);

    /// <summary>
    /// A key as two 64-bit halves: UInt128 is aligned to 16 bytes, which pads each dictionary
    /// entry from 40 to 48 bytes (80 MB more at 10M rows). The halves of a hash are uniform, so
    /// the low one is the hash code.
    /// </summary>
    private readonly struct Key(UInt128 value) : IEquatable<Key>
    {
        private readonly ulong _low = (ulong)value;
        private readonly ulong _high = (ulong)(value >> 64);

        public bool Equals(Key other) => _low == other._low && _high == other._high;

        public override bool Equals(object? obj) => obj is Key other && Equals(other);

        public override int GetHashCode() => (int)_low ^ (int)(_low >> 32);
    }
}
