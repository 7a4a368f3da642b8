using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Qindex.Index.Store;

/// <summary>Where a live row is: a data file (by the store's number for it) and its row position.</summary>
internal readonly record struct RowLocator(int File, int Position);

/// <summary>
/// The store's compact key index: a 128-bit hash of each live row's path mapped to where that row
/// is, so a batch of changes finds the rows it replaces without reading the table. Rebuilt from
/// the files when the store opens (or another writer changed the table), updated by every commit
/// and compaction. With the row's size, about 44 bytes a row (440 MB at 10M rows).
/// A 128-bit XxHash makes two live paths sharing a key a 1 in 10^25 event at 10M rows, so the
/// index treats equal keys as equal paths; the decision record says why this replaced reading the
/// row back on a 64-bit match.
/// </summary>
internal sealed class PathKeyIndex
{
    private const long NoSize = long.MinValue;
    private readonly Dictionary<UInt128, (long Packed, long Size)> _rows;

    public PathKeyIndex(int capacity = 0) => _rows = new Dictionary<UInt128, (long, long)>(capacity);

    /// <summary>Live rows indexed.</summary>
    public int Count => _rows.Count;

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
        if (_rows.TryGetValue(key, out var entry))
        {
            locator = Unpack(entry.Packed);
            size = entry.Size == NoSize ? null : entry.Size;
            return true;
        }

        locator = default;
        size = null;
        return false;
    }

    public void Set(UInt128 key, RowLocator locator, long? size) => _rows[key] = (Pack(locator), size ?? NoSize);

    public bool Remove(UInt128 key) => _rows.Remove(key);

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
}
