using System.Text;
using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>
/// The rows of one sort run, held column by column: each string column as UTF-8 in one buffer,
/// numbers, flags and times in arrays, all of them kept and refilled run after run. A run held as
/// records kept 131,072 objects and their strings long enough to reach the collector's oldest
/// generation, where each finished run lay as garbage until a full collection; a crawl's walk
/// peaked at several times its live rows (decision 0018). Records added are turned into columns a
/// small chunk at a time, through <see cref="FileRecordColumns"/>, and die young.
/// </summary>
internal sealed class RunBuffer
{
    /// <summary>Records converted to columns at a time.</summary>
    private const int ChunkRows = 1024;

    private readonly int _capacity;
    private readonly List<FileRecord> _pending = new(ChunkRows);

    // Per column of IndexColumns.All: a string column's UTF-8, or the array of any other column.
    private readonly Utf8Column?[] _strings;
    private readonly Array?[] _values;

    // Reused by every write: the sorted order, and one row group's values of a column in that order.
    private readonly Dictionary<Type, Array> _scratch = [];
    private int[] _order = [];
    private int _rows;

    /// <param name="capacity">Rows the run holds at most; storage grows to it as rows come.</param>
    public RunBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        var columns = IndexColumns.All;
        _strings = new Utf8Column?[columns.Count];
        _values = new Array?[columns.Count];
        int initial = Math.Min(capacity, 4 * ChunkRows);
        for (int c = 0; c < columns.Count; c++)
        {
            if (columns[c].Kind == ColumnKind.String)
            {
                _strings[c] = new Utf8Column(initial);
            }
            else
            {
                _values[c] = NewValues(columns[c].Kind, initial);
            }
        }
    }

    /// <summary>Rows held.</summary>
    public int Count => _rows + _pending.Count;

    /// <summary>Adds a row; the run must have room (<see cref="Count"/> below its capacity).</summary>
    public void Add(FileRecord record)
    {
        if (Count >= _capacity)
        {
            throw new InvalidOperationException($"the run holds {_capacity} rows");
        }

        _pending.Add(record);
        if (_pending.Count == ChunkRows)
        {
            Convert();
        }
    }

    /// <summary>Empties the run, keeping its storage for the next one.</summary>
    public void Clear()
    {
        _pending.Clear();
        _rows = 0;
        foreach (var column in _strings)
        {
            column?.Clear();
        }
    }

    /// <summary>
    /// Writes the rows, sorted by path, as one data file of row groups of
    /// <paramref name="rowGroupRows"/>. Paths are ordered by their UTF-8 bytes, the order
    /// <see cref="PathOrder"/> gives their strings and the order of the file's bounds.
    /// </summary>
    public IndexDataFile WriteSorted(string path, int rowGroupRows, CancellationToken cancellationToken)
    {
        Convert();
        if (_order.Length < _rows)
        {
            _order = new int[Math.Max(_rows, Math.Min(_capacity, 2 * _order.Length))];
        }

        var order = _order.AsSpan(0, _rows);
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var paths = _strings[0]!;
        order.Sort((a, b) => paths[a].SequenceCompareTo(paths[b]));
        return IndexDataFileWriter.Write(path, _rows, Slice, cancellationToken, rowGroupRows);
    }

    /// <summary>Column <paramref name="c"/> of the sorted rows [start, start + count), as the data file writer takes it.</summary>
    private object Slice(int c, int start, int count)
    {
        if (_strings[c] is { } strings)
        {
            return new SortedUtf8(strings, _order, start, count);
        }

        return _values[c] switch
        {
            int?[] v => Sorted(v, start, count),
            long?[] v => Sorted(v, start, count),
            bool?[] v => Sorted(v, start, count),
            var v => throw new InvalidOperationException($"unexpected column array {v?.GetType()}"),
        };
    }

    private ColumnValues Sorted<T>(T[] values, int start, int count)
    {
        if (!_scratch.TryGetValue(typeof(T), out var scratch) || scratch.Length < count)
        {
            _scratch[typeof(T)] = scratch = new T[Math.Max(count, Math.Min(_capacity, IndexDataFileWriter.RowGroupRows))];
        }

        var into = (T[])scratch;
        for (int i = 0; i < count; i++)
        {
            into[i] = values[_order[start + i]];
        }

        return new ColumnValues(into, count);
    }

    private void Convert()
    {
        int n = _pending.Count;
        if (n == 0)
        {
            return;
        }

        var columns = IndexColumns.All;
        for (int c = 0; c < columns.Count; c++)
        {
            var column = FileRecordColumns.ToColumn(columns[c], _pending);
            if (_strings[c] is { } strings)
            {
                foreach (var value in (string?[])column)
                {
                    strings.Add(value);
                }
            }
            else
            {
                var values = _values[c]!;
                if (values.Length < _rows + n)
                {
                    var grown = NewValues(columns[c].Kind, Math.Min(_capacity, Math.Max(_rows + n, 2 * values.Length)));
                    Array.Copy(values, grown, _rows);
                    _values[c] = values = grown;
                }

                Array.Copy(column, 0, values, _rows, n);
            }
        }

        _rows += n;
        _pending.Clear();
    }

    private static Array NewValues(ColumnKind kind, int length) => kind switch
    {
        ColumnKind.Int32 => new int?[length],
        ColumnKind.Int64 or ColumnKind.TimestampTz => new long?[length],
        ColumnKind.Boolean => new bool?[length],
        _ => throw new InvalidOperationException($"no value array for {kind}"),
    };

    /// <summary>A string column's values as UTF-8, one after another in one buffer; a null has length -1.</summary>
    private sealed class Utf8Column(int initial)
    {
        private byte[] _bytes = new byte[initial * 32];
        private int[] _starts = new int[initial];
        private int[] _lengths = new int[initial];
        private int _count;
        private int _length;

        public ReadOnlySpan<byte> this[int i] => _lengths[i] < 0 ? default : _bytes.AsSpan(_starts[i], _lengths[i]);

        /// <summary>Value <paramref name="i"/>'s length in bytes, or -1 for a null.</summary>
        public int Length(int i) => _lengths[i];

        public void Add(string? value)
        {
            if (_count == _starts.Length)
            {
                Array.Resize(ref _starts, 2 * _count);
                Array.Resize(ref _lengths, 2 * _count);
            }

            if (value is null)
            {
                _starts[_count] = _length;
                _lengths[_count++] = -1;
                return;
            }

            // A lone surrogate becomes U+FFFD here, as the data file writer would encode it.
            int most = Encoding.UTF8.GetMaxByteCount(value.Length);
            if (_length + most > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(2 * _bytes.Length, _length + most));
            }

            int written = Encoding.UTF8.GetBytes(value, _bytes.AsSpan(_length));
            _starts[_count] = _length;
            _lengths[_count++] = written;
            _length += written;
        }

        public void Clear()
        {
            _count = 0;
            _length = 0;
        }
    }

    /// <summary>Rows [start, start + count) of a string column in sorted order, as the UTF-8 column writer takes them.</summary>
    private sealed class SortedUtf8(Utf8Column column, int[] order, int start, int count) : IUtf8Values
    {
        public int Count => count;

        public int ByteCount(int i) => column.Length(order[start + i]);

        public int Write(int i, Span<byte> into)
        {
            var value = column[order[start + i]];
            value.CopyTo(into);
            return value.Length;
        }
    }
}
