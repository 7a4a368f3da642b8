using System.Text.Unicode;
using ParquetSharp;
using Qindex.Index.Records;

namespace Qindex.Index.Import;

/// <summary>
/// One index column of a Parquet import: reads the source file's column of the same name row group
/// by row group, leaves out the rows without a path, turns values into the index column's type and
/// writes them to the data file's column. Values stay in native buffers: strings are copied as the
/// bytes the reader decoded (checked to be UTF-8), numbers converted in place.
/// </summary>
internal sealed class ImportColumnCopy
{
    private readonly string _source;
    private readonly IndexColumn _column;
    private readonly PhysicalType _physical;
    private readonly short _maxDefinition;
    private readonly bool _unsigned;
    private readonly TimeUnit _unit;
    private readonly long? _fill;
    private readonly PathBounds? _bounds;
    private readonly bool _missing;
    private ColumnReader? _reader;
    private int _rowGroup;
    private bool[]? _keep;

    /// <param name="source">The source file, for messages.</param>
    /// <param name="column">The index column written.</param>
    /// <param name="descriptor">The source column, already checked to fit; null when the file has none (all nulls).</param>
    /// <param name="ingestMicros">The import's time, written where ingest_ts is missing.</param>
    /// <param name="bounds">Collects the written values' bounds (the path column).</param>
    public ImportColumnCopy(string source, IndexColumn column, ColumnDescriptor? descriptor, long ingestMicros, PathBounds? bounds)
    {
        _source = source;
        _column = column;
        _bounds = bounds;
        _fill = column.Name == "ingest_ts" ? ingestMicros : null;
        _missing = descriptor is null;
        if (descriptor is not null)
        {
            _physical = descriptor.PhysicalType;
            _maxDefinition = descriptor.MaxDefinitionLevel;
            using var logical = descriptor.LogicalType;
            _unsigned = logical is IntLogicalType { IsSigned: false };
            _unit = logical is TimestampLogicalType t ? t.TimeUnit : TimeUnit.Micros;
        }
    }

    /// <summary>Starts row group <paramref name="rowGroup"/>; <paramref name="keep"/> says which of its rows to write (null: all).</summary>
    public void Open(ColumnReader? reader, int rowGroup, bool[]? keep)
    {
        Close();
        _reader = reader;
        _rowGroup = rowGroup;
        _keep = keep;
    }

    /// <summary>Ends the row group.</summary>
    public void Close()
    {
        _reader?.Dispose();
        _reader = null;
    }

    /// <summary>
    /// Reads the next <paramref name="count"/> rows (starting at <paramref name="first"/> in the row
    /// group) and writes the <paramref name="kept"/> of them that have a path to <paramref name="output"/>;
    /// with no output the rows are only read past.
    /// </summary>
    public void Copy(ColumnWriter? output, Buffers buffers, int first, int count, int kept)
    {
        if (_missing)
        {
            WriteMissing(output, buffers, kept);
            return;
        }

        var done = 0;
        while (done < count)
        {
            var want = count - done;
            var levels = _physical switch
            {
                PhysicalType.ByteArray => CopyStrings(output, buffers, first + done, want),
                PhysicalType.Int32 => CopyInt32(output, buffers, first + done, want),
                PhysicalType.Int64 => CopyInt64(output, buffers, first + done, want),
                PhysicalType.Boolean => CopyBooleans(output, buffers, first + done, want),
                _ => throw new InvalidOperationException($"unchecked physical type {_physical}"),
            };
            if (levels == 0)
            {
                throw new ImportSourceException($"{_source}: column '{_column.Name}' ends early in row group {_rowGroup}");
            }

            done += levels;
        }
    }

    private int CopyStrings(ColumnWriter? output, Buffers b, int row, int want)
    {
        var levels = (int)((ColumnReader<ByteArray>)_reader!).ReadBatch(want, b.Definitions, default, b.Strings, out var read);
        var (outLevels, values) = Filter<ByteArray>(b, b.Strings, row, levels, (int)read);
        if (output is null)
        {
            return levels;
        }

        foreach (var value in b.Strings.AsSpan(0, values))
        {
            var bytes = Bytes(value);
            if (!Utf8.IsValid(bytes))
            {
                throw new ImportSourceException($"{_source}: column '{_column.Name}' holds a value that is not UTF-8 text (row group {_rowGroup})");
            }

            _bounds?.Add(bytes);
        }

        Write((ColumnWriter<ByteArray>)output, b, outLevels, b.Strings.AsSpan(0, values));
        return levels;
    }

    private int CopyBooleans(ColumnWriter? output, Buffers b, int row, int want)
    {
        var levels = (int)((ColumnReader<bool>)_reader!).ReadBatch(want, b.Definitions, default, b.Booleans, out var read);
        var (outLevels, values) = Filter<bool>(b, b.Booleans, row, levels, (int)read);
        if (output is not null)
        {
            Write((ColumnWriter<bool>)output, b, outLevels, b.Booleans.AsSpan(0, values));
        }

        return levels;
    }

    private int CopyInt32(ColumnWriter? output, Buffers b, int row, int want)
    {
        var levels = (int)((ColumnReader<int>)_reader!).ReadBatch(want, b.Definitions, default, b.Ints, out var read);
        var (outLevels, values) = Filter<int>(b, b.Ints, row, levels, (int)read);
        if (output is null)
        {
            return levels;
        }

        var ints = b.Ints.AsSpan(0, values);
        if (_column.Kind == ColumnKind.Int64)
        {
            var longs = b.Longs.AsSpan(0, values);
            for (var i = 0; i < ints.Length; i++)
            {
                longs[i] = _unsigned ? (uint)ints[i] : ints[i];
            }

            Write((ColumnWriter<long>)output, b, outLevels, longs);
            return levels;
        }

        if (_unsigned)
        {
            foreach (var v in ints)
            {
                if (v < 0)
                {
                    throw OutOfRange((uint)v);
                }
            }
        }

        Write((ColumnWriter<int>)output, b, outLevels, ints);
        return levels;
    }

    private int CopyInt64(ColumnWriter? output, Buffers b, int row, int want)
    {
        var levels = (int)((ColumnReader<long>)_reader!).ReadBatch(want, b.Definitions, default, b.Longs, out var read);
        var (outLevels, values) = Filter<long>(b, b.Longs, row, levels, (int)read);
        if (output is null)
        {
            return levels;
        }

        var longs = b.Longs.AsSpan(0, values);
        switch (_column.Kind)
        {
            case ColumnKind.Int32:
                {
                    var ints = b.Ints.AsSpan(0, values);
                    for (var i = 0; i < longs.Length; i++)
                    {
                        var v = longs[i];
                        ints[i] = v is >= int.MinValue and <= int.MaxValue && !(_unsigned && v < 0)
                            ? (int)v
                            : throw OutOfRange(_unsigned ? (ulong)v : v);
                    }

                    Write((ColumnWriter<int>)output, b, outLevels, ints);
                    return levels;
                }

            case ColumnKind.Int64 when _unsigned:
                foreach (var v in longs)
                {
                    if (v < 0)
                    {
                        throw OutOfRange((ulong)v);
                    }
                }

                break;
            case ColumnKind.TimestampTz:
                ToMicros(longs);
                break;
        }

        if (_fill is { } fill && values < outLevels)
        {
            // ingest_ts: rows without one get the import's time, so every row has one.
            var dense = b.Fill.AsSpan(0, outLevels);
            for (int i = 0, k = 0; i < outLevels; i++)
            {
                dense[i] = b.Definitions[i] == 1 ? longs[k++] : fill;
            }

            ((ColumnWriter<long>)output).WriteBatch(outLevels, b.Ones.AsSpan(0, outLevels), default, dense);
            return levels;
        }

        Write((ColumnWriter<long>)output, b, outLevels, longs);
        return levels;
    }

    /// <summary>Times to microseconds, rounding toward earlier instants as the record reader does.</summary>
    private void ToMicros(Span<long> values)
    {
        switch (_unit)
        {
            case TimeUnit.Nanos:
                for (var i = 0; i < values.Length; i++)
                {
                    var v = values[i];
                    values[i] = (v / 1000) - (v % 1000 < 0 ? 1 : 0);
                }

                break;
            case TimeUnit.Millis:
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = values[i] is >= long.MinValue / 1000 and <= long.MaxValue / 1000
                        ? values[i] * 1000
                        : throw new ImportSourceException($"{_source}: column '{_column.Name}' holds {values[i]} ms, beyond the microsecond range");
                }

                break;
        }
    }

    /// <summary>
    /// Leaves out the rows without a path and turns the source's definition levels into the
    /// index column's (0 absent, 1 present); values are compacted in place. Returns the levels
    /// and values left.
    /// </summary>
    private (int Levels, int Values) Filter<T>(Buffers b, T[] values, int row, int levels, int read)
    {
        var defs = b.Definitions;
        if (_keep is null)
        {
            if (_maxDefinition == 0)
            {
                b.Ones.AsSpan(0, levels).CopyTo(defs);
            }
            else if (_column.Required && read < levels)
            {
                throw new ImportSourceException($"{_source}: the statistics of column 'path' in row group {_rowGroup} say no row lacks a path, but one does");
            }

            return (levels, read);
        }

        var outLevels = 0;
        var outValues = 0;
        for (int i = 0, k = 0; i < levels; i++)
        {
            var present = _maxDefinition == 0 || defs[i] == _maxDefinition;
            if (_keep[row + i])
            {
                defs[outLevels++] = present ? (short)1 : (short)0;
                if (present)
                {
                    values[outValues++] = values[k];
                }
            }

            if (present)
            {
                k++;
            }
        }

        return (outLevels, outValues);
    }

    private void Write<T>(ColumnWriter<T> output, Buffers b, int levels, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        if (_column.Required)
        {
            if (values.Length != levels)
            {
                throw new InvalidOperationException($"column '{_column.Name}' is required but {levels - values.Length} rows lack a value");
            }

            output.WriteBatch(levels, default, default, values);
        }
        else
        {
            output.WriteBatch(levels, b.Definitions.AsSpan(0, levels), default, values);
        }
    }

    /// <summary>A column the file lacks: nulls, or the import's time for ingest_ts.</summary>
    private void WriteMissing(ColumnWriter? output, Buffers b, int rows)
    {
        if (output is null)
        {
            return;
        }

        if (_fill is { } fill)
        {
            b.Fill.AsSpan(0, rows).Fill(fill);
            ((ColumnWriter<long>)output).WriteBatch(rows, b.Ones.AsSpan(0, rows), default, b.Fill.AsSpan(0, rows));
            return;
        }

        var zeros = b.Zeros.AsSpan(0, rows);
        switch (output)
        {
            case ColumnWriter<ByteArray> w:
                w.WriteBatch(rows, zeros, default, default);
                break;
            case ColumnWriter<int> w:
                w.WriteBatch(rows, zeros, default, default);
                break;
            case ColumnWriter<long> w:
                w.WriteBatch(rows, zeros, default, default);
                break;
            case ColumnWriter<bool> w:
                w.WriteBatch(rows, zeros, default, default);
                break;
            default:
                throw new InvalidOperationException($"unexpected writer {output.GetType()} for column {_column.Name}");
        }
    }

    private ImportSourceException OutOfRange(object value) =>
        new($"{_source}: column '{_column.Name}' holds {value}, out of the {(_column.Kind == ColumnKind.Int32 ? "32" : "64")}-bit range");

    private static unsafe ReadOnlySpan<byte> Bytes(ByteArray value) => new((void*)value.Pointer, value.Length);

    /// <summary>Scratch arrays of one file's import, one row group's batch long, shared by its columns.</summary>
    internal sealed class Buffers(int rows)
    {
        public short[] Definitions { get; } = new short[rows];

        public short[] Ones { get; } = Enumerable.Repeat((short)1, rows).ToArray();

        public short[] Zeros { get; } = new short[rows];

        public ByteArray[] Strings { get; } = new ByteArray[rows];

        public int[] Ints { get; } = new int[rows];

        public long[] Longs { get; } = new long[rows];

        public long[] Fill { get; } = new long[rows];

        public bool[] Booleans { get; } = new bool[rows];
    }
}
