using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>
/// The stored rows a change set's directory moves carry to new paths, held column-wise: the new
/// paths as UTF-8 in one buffer, and for each row where it was, the region that moved it, the key
/// of its new path and, once read, the column arrays its values sit in. A watcher's batch under the
/// default load moves about 340,000 rows; as entries of the set's dictionary of final rows each
/// made a path string, a dictionary entry, a sort key, a log row and the log's two path strings,
/// all alive until the commit (and its log) were done, which the collector copied through its
/// generations (decision 0017). Nothing here is made per row but array slots. The paths sit in
/// chunks of at most <paramref name="chunkBytes"/> each (a path never straddles two), so a rename
/// of a directory holding tens of millions of rows is not bounded by the largest array.
/// </summary>
internal sealed class MovedRows(int chunkBytes = MovedRows.DefaultChunkBytes)
{
    /// <summary>The largest chunk of paths: a quarter of a gigabyte, about a million rows of long paths.</summary>
    public const int DefaultChunkBytes = 256 << 20;

    private static readonly int SizeColumn = IndexColumns.All.Select(c => c.Name).ToList().IndexOf("size");

    private readonly List<byte[]> _chunks = [new byte[Math.Min(64 * 1024, chunkBytes)]];
    private int _chunk;
    private int _length;
    private Row[] _rows = new Row[1024];
    private readonly List<OverlayRegion> _regions = [];
    private readonly Dictionary<OverlayRegion, int> _regionIndex = new(ReferenceEqualityComparer.Instance);

    /// <summary>Rows held (the dropped ones included).</summary>
    public int Count { get; private set; }

    /// <summary>Rows not dropped.</summary>
    public int Kept => Count - Dropped;

    /// <summary>Rows dropped because the set writes a row of its own at their new path.</summary>
    public int Dropped { get; private set; }

    /// <summary>
    /// Adds the stored row at <paramref name="at"/> (its path's key <paramref name="oldKey"/>),
    /// moved by <paramref name="region"/>: its new path is the region's target followed by <paramref name="tail"/>.
    /// </summary>
    public void Add(RowLocator at, UInt128 oldKey, OverlayRegion region, ReadOnlySpan<byte> tail)
    {
        if (!_regionIndex.TryGetValue(region, out int r))
        {
            _regionIndex[region] = r = _regions.Count;
            _regions.Add(region);
        }

        var head = region.TargetUtf8;
        int length = head.Length + tail.Length;
        var utf8 = _chunks[_chunk];
        if ((long)_length + length > utf8.Length)
        {
            long wanted = (long)_length + length;
            if (wanted <= chunkBytes)
            {
                // The chunk grows (doubling) up to its bound; rows keep their offsets in it.
                Array.Resize(ref utf8, (int)Math.Min(chunkBytes, Math.Max(2L * utf8.Length, wanted)));
                _chunks[_chunk] = utf8;
            }
            else
            {
                _chunk++;
                _length = 0;
                if (_chunk == _chunks.Count)
                {
                    _chunks.Add(new byte[Math.Max(chunkBytes, length)]);
                }

                utf8 = _chunks[_chunk];
            }
        }

        head.CopyTo(utf8.AsSpan(_length));
        tail.CopyTo(utf8.AsSpan(_length + head.Length));
        if (Count == _rows.Length)
        {
            Array.Resize(ref _rows, _rows.Length * 2);
        }

        var path = utf8.AsSpan(_length, length);
        _rows[Count++] = new Row { At = at, OldKey = oldKey, Region = r, Chunk = _chunk, Start = _length, Length = length, Key = PathKeyIndex.KeyOf(path) };
        _length += length;
    }

    /// <summary>Where row <paramref name="i"/> was in the snapshot.</summary>
    public RowLocator At(int i) => _rows[i].At;

    /// <summary>The key of row <paramref name="i"/>'s old path.</summary>
    public UInt128 OldKey(int i) => _rows[i].OldKey;

    /// <summary>The key of row <paramref name="i"/>'s new path.</summary>
    public UInt128 Key(int i) => _rows[i].Key;

    /// <summary>Row <paramref name="i"/>'s new path as UTF-8.</summary>
    public ReadOnlySpan<byte> PathUtf8(int i) => _chunks[_rows[i].Chunk].AsSpan(_rows[i].Start, _rows[i].Length);

    /// <summary>The region that moved row <paramref name="i"/>.</summary>
    public OverlayRegion Region(int i) => _regions[_rows[i].Region];

    /// <summary>Row <paramref name="i"/> is the moved directory's own row: its name changes with its path.</summary>
    public bool Renamed(int i) => _rows[i].Length == _regions[_rows[i].Region].TargetUtf8.Length;

    /// <summary>Row <paramref name="i"/> gives way to a row the set writes at its new path.</summary>
    public bool IsDropped(int i) => _rows[i].Dropped;

    public void Drop(int i)
    {
        if (!_rows[i].Dropped)
        {
            _rows[i].Dropped = true;
            Dropped++;
        }
    }

    /// <summary>The arrays row <paramref name="i"/>'s values were read into, and its index in them.</summary>
    public (Array[] Columns, int Index) Values(int i) => (_rows[i].Columns!, _rows[i].Index);

    /// <summary>Row <paramref name="i"/>'s size (its values read).</summary>
    public long? Size(int i) => ((long?[])_rows[i].Columns![SizeColumn])[_rows[i].Index];

    /// <summary>Row <paramref name="i"/>'s values are at <paramref name="index"/> in <paramref name="columns"/>.</summary>
    public void SetValues(int i, Array[] columns, int index)
    {
        _rows[i].Columns = columns;
        _rows[i].Index = index;
    }

    /// <summary>The positions of the moved rows in each snapshot file, ascending and distinct.</summary>
    public Dictionary<int, int[]> PositionsByFile()
    {
        var counts = new Dictionary<int, int>();
        for (int i = 0; i < Count; i++)
        {
            counts[_rows[i].At.File] = counts.GetValueOrDefault(_rows[i].At.File) + 1;
        }

        var result = counts.ToDictionary(c => c.Key, c => new int[c.Value]);
        var filled = new Dictionary<int, int>();
        for (int i = 0; i < Count; i++)
        {
            int file = _rows[i].At.File, k = filled.GetValueOrDefault(file);
            result[file][k] = _rows[i].At.Position;
            filled[file] = k + 1;
        }

        foreach (var positions in result.Values)
        {
            Array.Sort(positions);
        }

        return result;
    }

    /// <summary>
    /// Row <paramref name="i"/>'s old path as UTF-8, written to <paramref name="into"/> (which must
    /// hold it): the region's origin followed by what follows its target in the new path.
    /// </summary>
    public int WritePreviousUtf8(int i, Span<byte> into)
    {
        var region = _regions[_rows[i].Region];
        var tail = PathUtf8(i)[region.TargetUtf8.Length..];
        region.OriginUtf8.CopyTo(into);
        tail.CopyTo(into[region.OriginUtf8.Length..]);
        return region.OriginUtf8.Length + tail.Length;
    }

    /// <summary>The bytes <see cref="WritePreviousUtf8"/> writes for row <paramref name="i"/>.</summary>
    public int PreviousLength(int i)
    {
        var region = _regions[_rows[i].Region];
        return region.OriginUtf8.Length + _rows[i].Length - region.TargetUtf8.Length;
    }

    /// <summary>
    /// Empties the rows for another change set, keeping the first chunk of paths and the row slots
    /// (and dropping the values they point at); the chunks only a very large move needed go.
    /// </summary>
    public void Reset()
    {
        Array.Clear(_rows, 0, Count);
        Count = 0;
        Dropped = 0;
        _chunks.RemoveRange(1, _chunks.Count - 1);
        _chunk = 0;
        _length = 0;
        _regions.Clear();
        _regionIndex.Clear();
    }

    private struct Row
    {
        public RowLocator At;
        public int Region;
        public int Chunk;
        public int Start;
        public int Length;
        public bool Dropped;
        public UInt128 Key;
        public UInt128 OldKey;
        public Array[]? Columns;
        public int Index;
    }
}

/// <summary>
/// Paths as UTF-8 in one buffer, row i's bytes ending at Ends[i] (the shape the paths cache keeps),
/// written as a string column without a string made per value.
/// </summary>
internal sealed class Utf8Paths(byte[] utf8, int[] ends)
{
    public byte[] Utf8 { get; } = utf8;

    public int[] Ends { get; } = ends;

    public int Count => Ends.Length;

    public ReadOnlySpan<byte> this[int i] => Utf8.AsSpan(i == 0 ? 0 : Ends[i - 1], Ends[i] - (i == 0 ? 0 : Ends[i - 1]));

    /// <summary>Rows [start, start + count) as a window the column writer takes.</summary>
    public Utf8Window Window(int start, int count) => new(this, start, count);
}

/// <summary>Rows [Start, Start + Count) of some <see cref="Utf8Paths"/>, as a string column's values.</summary>
internal sealed class Utf8Window(Utf8Paths paths, int start, int count) : IUtf8Values
{
    public int Count => count;

    public int ByteCount(int i) => paths[start + i].Length;

    public int Write(int i, Span<byte> into)
    {
        var value = paths[start + i];
        value.CopyTo(into);
        return value.Length;
    }
}
