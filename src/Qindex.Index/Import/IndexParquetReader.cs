using ParquetSharp;
using Qindex.Index.Records;

namespace Qindex.Index.Import;

/// <summary>
/// Reads Parquet files with the index's column names (the users' pyarrow-written dataset, or
/// qindex's own data files) in batches, row group by row group, so memory stays bounded by one
/// batch whatever the file size. Timestamps in nanoseconds, microseconds or milliseconds, with or
/// without time zone, become UTC microseconds (values without a zone were written as UTC).
/// </summary>
public static class IndexParquetReader
{
    /// <summary>Rows per batch handed to the caller.</summary>
    public const int BatchRows = 64 * 1024;

    /// <summary>
    /// Reads <paramref name="path"/>; rows lacking a path go to <paramref name="onBad"/> with their
    /// 1-based row number.
    /// </summary>
    /// <exception cref="ImportSourceException">The file is not Parquet, or a column has a type that cannot be read as its index column.</exception>
    public static async Task ReadAsync(
        string path,
        DateTimeOffset? defaultIngestTs,
        Func<FileRecord[], ValueTask> onBatch,
        Action<BadInput> onBad,
        CancellationToken cancellationToken,
        int batchRows = BatchRows)
    {
        ArgumentNullException.ThrowIfNull(onBatch);
        ArgumentNullException.ThrowIfNull(onBad);
        using (var reader = Open(path))
        {
            var metadata = reader.FileMetaData;
            var schema = metadata.Schema;
            var columns = IndexColumns.All;
            var sourceIndex = SourceColumns(path, schema);

            long rowBase = 0;
            for (var g = 0; g < metadata.NumRowGroups; g++)
            {
                using var rowGroup = reader.RowGroup(g);
                var rows = rowGroup.MetaData.NumRows;
                var readers = new ColumnSource?[columns.Count];
                try
                {
                    for (var c = 0; c < columns.Count; c++)
                    {
                        readers[c] = sourceIndex[c] >= 0 ? new ColumnSource(rowGroup.Column(sourceIndex[c]), columns[c]) : null;
                    }

                    for (long done = 0; done < rows; done += batchRows)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var count = (int)Math.Min(batchRows, rows - done);
                        var arrays = new Array[columns.Count];
                        for (var c = 0; c < columns.Count; c++)
                        {
                            arrays[c] = readers[c] is { } r
                                ? ReadColumn(path, columns[c], r, count)
                                : EmptyColumn(columns[c], count);
                        }

                        var batch = ToRecords(path, arrays, count, rowBase + done, defaultIngestTs, onBad);
                        await onBatch(batch).ConfigureAwait(false);
                    }
                }
                finally
                {
                    foreach (var r in readers)
                    {
                        r?.Dispose();
                    }
                }

                rowBase += rows;
            }
        }
    }

    /// <summary>
    /// The rows at <paramref name="positions"/> (ascending, 0-based in the file) as column arrays
    /// (<see cref="FileRecordColumns"/>'s shapes, in <see cref="IndexColumns.All"/> order), one
    /// set of arrays for each row group holding any, in position order. Row groups holding none
    /// are not decoded, a row group is decoded only up to its last wanted row, and strings (most
    /// of a row's cost) are made only for the wanted rows: a watcher's moved rows are a few in
    /// each of many row groups. No record is built.
    /// </summary>
    /// <param name="path">The Parquet file.</param>
    /// <param name="positions">The rows wanted.</param>
    /// <param name="cancellationToken">Stops between row groups.</param>
    /// <param name="withPaths">
    /// False: the path column is left null, not read: a caller that writes the rows under new
    /// paths (a directory move) has no use for the old ones as strings.
    /// </param>
    /// <exception cref="ImportSourceException">Not Parquet, a column of the wrong type, or a row without a path.</exception>
    /// <param name="utf8Strings">
    /// True: the string columns are held as UTF-8 (<see cref="Utf8Strings.Of"/>), not made into
    /// strings: a directory move writes them back unchanged.
    /// </param>
    internal static List<(Array[] Columns, int Count)> ReadColumnsAt(string path, IReadOnlyList<int> positions, CancellationToken cancellationToken, bool withPaths = true, bool utf8Strings = false)
    {
        ArgumentNullException.ThrowIfNull(positions);
        var result = new List<(Array[], int)>();
        using var reader = Open(path);
        var metadata = reader.FileMetaData;
        var columns = IndexColumns.All;
        var sourceIndex = SourceColumns(path, metadata.Schema);
        long rowBase = 0;
        int next = 0;
        for (var g = 0; g < metadata.NumRowGroups && next < positions.Count; g++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var rowGroup = reader.RowGroup(g);
            var rows = rowGroup.MetaData.NumRows;
            var wanted = new List<int>();
            while (next < positions.Count && positions[next] < rowBase + rows)
            {
                if (positions[next] < rowBase || (wanted.Count > 0 && positions[next] - rowBase <= wanted[^1]))
                {
                    throw new ArgumentException("positions must be ascending and distinct", nameof(positions));
                }

                wanted.Add((int)(positions[next++] - rowBase));
            }

            if (wanted.Count > 0)
            {
                var arrays = new Array[columns.Count];
                var count = wanted[^1] + 1;
                for (var c = 0; c < columns.Count; c++)
                {
                    if (sourceIndex[c] < 0 || (c == 0 && !withPaths))
                    {
                        arrays[c] = EmptyColumn(columns[c], wanted.Count);
                        continue;
                    }

                    using var source = new ColumnSource(rowGroup.Column(sourceIndex[c]), columns[c], logicalStrings: false);
                    arrays[c] = columns[c].Kind != ColumnKind.String ? ReadValuesAt(path, columns[c], source, count, wanted)
                        : utf8Strings ? new[] { ReadUtf8At(path, columns[c], source, count, wanted) }
                        : ReadStringsAt(path, columns[c], source, count, wanted);
                }

                var paths = (string?[])arrays[0];
                for (int i = 0; i < wanted.Count && withPaths; i++)
                {
                    if (string.IsNullOrEmpty(paths[i]))
                    {
                        throw new ImportSourceException($"{path}: row {rowBase + wanted[i] + 1} has no path");
                    }
                }

                result.Add((arrays, wanted.Count));
            }

            rowBase += rows;
        }

        if (next < positions.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(positions), $"{path} has {rowBase} rows; position {positions[next]} is past its end");
        }

        return result;
    }

    /// <summary>
    /// The strings of the rows at <paramref name="wanted"/> among the next <paramref name="count"/>;
    /// the others are read but never made into strings. In columns of few distinct values (types,
    /// identity kinds and values, hash policies) a value equal to a recent one shares its string.
    /// </summary>
    private static string?[] ReadStringsAt(string file, IndexColumn column, ColumnSource source, int count, List<int> wanted)
    {
        var result = new string?[wanted.Count];
        var recent = column.Name is "path" or "name" or "id" or "file_number" ? null : new RecentStrings();
        ForEachWanted(file, column, source, count, wanted, (w, value) =>
            result[w] = value is not { } present ? null : recent is null ? Utf8(present) : recent.Get(present));
        return result;
    }

    /// <summary>As <see cref="ReadStringsAt"/>, the values kept as UTF-8 in one buffer (bytes that are not UTF-8 replaced as a string would replace them).</summary>
    private static unsafe Utf8Strings ReadUtf8At(string file, IndexColumn column, ColumnSource source, int count, List<int> wanted)
    {
        var result = new Utf8Strings(wanted.Count);
        ForEachWanted(file, column, source, count, wanted, (w, value) =>
        {
            if (value is { } present)
            {
                var bytes = new ReadOnlySpan<byte>((byte*)present.Pointer, present.Length);
                result.Set(w, System.Text.Unicode.Utf8.IsValid(bytes) ? bytes : System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(bytes)));
            }
        });
        return result;
    }

    /// <summary>
    /// Reads the next <paramref name="count"/> values of a byte-array column in chunks and hands
    /// each wanted one to <paramref name="take"/> with its index in <paramref name="wanted"/> (null
    /// where absent). A value is valid only during the call: the next chunk overwrites it.
    /// </summary>
    private static void ForEachWanted(string file, IndexColumn column, ColumnSource source, int count, List<int> wanted, Action<int, ByteArray?> take)
    {
        var typed = (ColumnReader<ByteArray>)source.Reader;
        var maxDef = source.MaxDefinitionLevel;
        var chunk = Math.Min(count, 8192);
        var defs = new short[chunk];
        var values = new ByteArray[chunk];
        int row = 0, w = 0;
        while (row < count)
        {
            var levels = (int)typed.ReadBatch(Math.Min(chunk, count - row), maxDef == 0 ? default : defs.AsSpan(), default, values, out _);
            if (levels == 0)
            {
                throw new ImportSourceException($"{file}: column '{column.Name}' ends after {row} of {count} rows in a row group");
            }

            for (int i = 0, k = 0; i < levels; i++, row++)
            {
                var present = maxDef == 0 || defs[i] == maxDef;
                if (w < wanted.Count && wanted[w] == row)
                {
                    take(w++, present ? values[k] : null);
                }

                if (present)
                {
                    k++;
                }
            }
        }
    }

    private static unsafe string Utf8(ByteArray value) => System.Text.Encoding.UTF8.GetString((byte*)value.Pointer, value.Length);

    /// <summary>
    /// The last few distinct values of a column and their strings: a watcher's moved rows are read
    /// by the hundred thousand, and each would otherwise hold its own copy of "FS_FILE_TYPE_FILE",
    /// "NFS_UID" or "1000" until they are written again.
    /// </summary>
    private sealed class RecentStrings
    {
        private const int Slots = 8;
        private readonly byte[]?[] _bytes = new byte[Slots][];
        private readonly string[] _strings = new string[Slots];
        private int _next;

        public unsafe string Get(ByteArray value)
        {
            var bytes = new ReadOnlySpan<byte>((byte*)value.Pointer, value.Length);
            for (int i = 0; i < Slots; i++)
            {
                if (_bytes[i] is { } known && bytes.SequenceEqual(known))
                {
                    return _strings[i];
                }
            }

            var made = System.Text.Encoding.UTF8.GetString(bytes);
            if (bytes.Length <= 64)
            {
                _bytes[_next] = bytes.ToArray();
                _strings[_next] = made;
                _next = (_next + 1) % Slots;
            }

            return made;
        }
    }

    /// <summary>
    /// The values of the rows at <paramref name="wanted"/> among the next <paramref name="count"/>
    /// of a column of numbers, flags or times, read in chunks: a watcher's moved rows are spread
    /// over whole row groups, and reading a row group's column into arrays its size, then picking,
    /// made megabytes of short-lived large objects a column.
    /// </summary>
    private static Array ReadValuesAt(string file, IndexColumn column, ColumnSource source, int count, List<int> wanted)
    {
        switch (column.Kind)
        {
            case ColumnKind.Boolean:
                return PickAt<bool, bool>(file, column, source, count, wanted, static v => v);
            case ColumnKind.Int32 when source.Physical == PhysicalType.Int32:
                return PickAt<int, int>(file, column, source, count, wanted, static v => v);
            case ColumnKind.Int32:
                return PickAt<long, int>(file, column, source, count, wanted, v => v is >= int.MinValue and <= int.MaxValue
                    ? (int)v
                    : throw new ImportSourceException($"{file}: column '{column.Name}' holds {v}, out of the 32-bit range"));
            case ColumnKind.Int64 when source.Physical == PhysicalType.Int32:
                return PickAt<int, long>(file, column, source, count, wanted, static v => v);
            case ColumnKind.Int64:
                return PickAt<long, long>(file, column, source, count, wanted, static v => v);
            case ColumnKind.TimestampTz:
                {
                    var unit = source.Unit;
                    return PickAt<long, long>(file, column, source, count, wanted, v => unit switch
                    {
                        TimeUnit.Nanos => Math.DivRem(v, 1000L) is var (q, rem) && rem < 0 ? q - 1 : q,
                        TimeUnit.Millis => v * 1000,
                        _ => v,
                    });
                }

            default:
                throw new InvalidOperationException($"unhandled column kind {column.Kind}");
        }
    }

    private static TOut?[] PickAt<T, TOut>(string file, IndexColumn column, ColumnSource source, int count, List<int> wanted, Func<T, TOut> convert)
        where T : unmanaged
        where TOut : struct
    {
        var typed = (ColumnReader<T>)source.Reader;
        var maxDef = source.MaxDefinitionLevel;
        var result = new TOut?[wanted.Count];
        var chunk = Math.Min(count, 8192);
        var defs = maxDef == 0 ? null : new short[chunk];
        var values = new T[chunk];
        int row = 0, w = 0;
        while (row < count)
        {
            var levels = (int)typed.ReadBatch(Math.Min(chunk, count - row), defs is null ? default : defs.AsSpan(), default, values, out _);
            if (levels == 0)
            {
                throw new ImportSourceException($"{file}: column '{column.Name}' ends after {row} of {count} rows in a row group");
            }

            for (int i = 0, k = 0; i < levels; i++, row++)
            {
                var present = defs is null || defs[i] == maxDef;
                if (w < wanted.Count && wanted[w] == row)
                {
                    result[w++] = present ? convert(values[k]) : null;
                }

                if (present)
                {
                    k++;
                }
            }
        }

        return result;
    }

    /// <summary>Opens a Parquet file, or fails with the import's own error naming the file.</summary>
    internal static ParquetFileReader Open(string path)
    {
        try
        {
            return new ParquetFileReader(path);
        }
        catch (ParquetException e)
        {
            throw new ImportSourceException($"{path}: not a readable Parquet file ({e.Message})", e);
        }
    }

    /// <summary>
    /// Checks a file's schema against the index columns without reading its data; returns which
    /// index columns the file has.
    /// </summary>
    /// <exception cref="ImportSourceException">Not Parquet, no path column, or a column of the wrong type.</exception>
    public static bool[] Inspect(string path)
    {
        using (var reader = Open(path))
        {
            return [.. SourceColumns(path, reader.FileMetaData.Schema).Select(i => i >= 0)];
        }
    }

    /// <summary>
    /// For each index column, the index of the file's column of that name, or -1 when the file has
    /// none; each found column's type is checked against its index column.
    /// </summary>
    /// <exception cref="ImportSourceException">No path column, or a column of the wrong type.</exception>
    internal static int[] SourceColumns(string path, SchemaDescriptor schema)
    {
        var columns = IndexColumns.All;
        var sourceIndex = new int[columns.Count];
        for (var c = 0; c < columns.Count; c++)
        {
            sourceIndex[c] = -1;
            for (var i = 0; i < schema.NumColumns; i++)
            {
                var descriptor = schema.Column(i);
                if (string.Equals(descriptor.Path.ToDotString(), columns[c].Name, StringComparison.Ordinal))
                {
                    CheckType(path, columns[c], descriptor);
                    sourceIndex[c] = i;
                    break;
                }
            }
        }

        if (sourceIndex[0] < 0)
        {
            throw new ImportSourceException($"{path}: has no column 'path'; expected the index columns ({string.Join(", ", columns.Select(c => c.Name))})");
        }

        return sourceIndex;
    }

    private static FileRecord[] ToRecords(string file, Array[] arrays, int count, long rowBase, DateTimeOffset? defaultIngestTs, Action<BadInput> onBad)
    {
        var paths = (string?[])arrays[0];
        var ingest = (long?[])arrays[^1];
        var fallback = defaultIngestTs is { } d ? FileRecordColumns.ToMicros(d) : (long?)null;
        var bad = 0;
        for (var i = 0; i < count; i++)
        {
            if (string.IsNullOrEmpty(paths[i]))
            {
                bad++;
                onBad(new BadInput(file, rowBase + i + 1, "row has no path"));
            }

            ingest[i] ??= fallback;
        }

        var records = FileRecordColumns.FromColumns(arrays, count, skipRowsWithoutPath: bad > 0);
        return records;
    }

    private static Array EmptyColumn(IndexColumn column, int count) => column.Kind switch
    {
        ColumnKind.String => new string?[count],
        ColumnKind.Int32 => new int?[count],
        ColumnKind.Int64 or ColumnKind.TimestampTz => new long?[count],
        ColumnKind.Boolean => new bool?[count],
        _ => throw new InvalidOperationException($"unhandled column kind {column.Kind}"),
    };

    private static void CheckType(string file, IndexColumn column, ColumnDescriptor descriptor)
    {
        var physical = descriptor.PhysicalType;
        using var logical = descriptor.LogicalType;
        var ok = column.Kind switch
        {
            ColumnKind.String => physical == PhysicalType.ByteArray && logical is StringLogicalType or NoneLogicalType,
            ColumnKind.Int32 or ColumnKind.Int64 => physical is PhysicalType.Int32 or PhysicalType.Int64 && logical is IntLogicalType or NoneLogicalType,
            ColumnKind.Boolean => physical == PhysicalType.Boolean,
            ColumnKind.TimestampTz => physical == PhysicalType.Int64 && logical is TimestampLogicalType,
            _ => false,
        };
        if (!ok || descriptor.MaxRepetitionLevel > 0)
        {
            throw new ImportSourceException(
                $"{file}: column '{column.Name}' is {physical} ({logical}); expected {Expected(column.Kind)}");
        }
    }

    private static string Expected(ColumnKind kind) => kind switch
    {
        ColumnKind.String => "a UTF-8 string",
        ColumnKind.Int32 => "a 32-bit integer",
        ColumnKind.Int64 => "a 64-bit integer",
        ColumnKind.Boolean => "a boolean",
        ColumnKind.TimestampTz => "a timestamp (ns, us or ms, with or without time zone)",
        _ => kind.ToString(),
    };

    /// <summary>
    /// One column of one row group, read batch after batch. The column's facts are read once up
    /// front: a logical reader owns (and disposes) its column reader, so it must live as long as
    /// the row group does.
    /// </summary>
    private sealed class ColumnSource : IDisposable
    {
        public ColumnSource(ColumnReader reader, IndexColumn column, bool logicalStrings = true)
        {
            Reader = reader;
            var descriptor = reader.ColumnDescriptor;
            Physical = descriptor.PhysicalType;
            MaxDefinitionLevel = descriptor.MaxDefinitionLevel;
            using var logical = descriptor.LogicalType;
            Unit = logical is TimestampLogicalType t ? t.TimeUnit : TimeUnit.Micros;
            if (column.Kind == ColumnKind.String && logicalStrings)
            {
                Strings = reader.LogicalReaderOverride<string?>();
            }
        }

        public ColumnReader Reader { get; }

        public PhysicalType Physical { get; }

        public short MaxDefinitionLevel { get; }

        public TimeUnit Unit { get; }

        public LogicalColumnReader<string?>? Strings { get; }

        public void Dispose()
        {
            if (Strings is not null)
            {
                Strings.Dispose();
            }
            else
            {
                Reader.Dispose();
            }
        }
    }

    private static Array ReadColumn(string file, IndexColumn column, ColumnSource reader, int count)
    {
        switch (column.Kind)
        {
            case ColumnKind.String:
                {
                    var values = new string?[count];
                    var got = 0;
                    while (got < count)
                    {
                        var n = reader.Strings!.ReadBatch(values.AsSpan(got));
                        if (n == 0)
                        {
                            break;
                        }

                        got += n;
                    }

                    return values;
                }

            case ColumnKind.Boolean:
                {
                    var (v, present) = ReadPhysical<bool>(reader, count);
                    var values = new bool?[count];
                    for (var i = 0; i < count; i++)
                    {
                        values[i] = present is null || present[i] ? v[i] : null;
                    }

                    return values;
                }

            case ColumnKind.Int32:
                {
                    var wide = ReadIntegers(reader, count);
                    var values = new int?[count];
                    for (var i = 0; i < count; i++)
                    {
                        if (wide[i] is { } x)
                        {
                            values[i] = x is >= int.MinValue and <= int.MaxValue
                                ? (int)x
                                : throw new ImportSourceException($"{file}: column '{column.Name}' holds {x}, out of the 32-bit range");
                        }
                    }

                    return values;
                }

            case ColumnKind.Int64:
                return ReadIntegers(reader, count);
            case ColumnKind.TimestampTz:
                {
                    var unit = reader.Unit;
                    var (v, present) = ReadPhysical<long>(reader, count);
                    var values = new long?[count];
                    for (var i = 0; i < count; i++)
                    {
                        if (present is null || present[i])
                        {
                            values[i] = unit switch
                            {
                                TimeUnit.Nanos => Math.DivRem(v[i], 1000L) is var (q, rem) && rem < 0 ? q - 1 : q,
                                TimeUnit.Millis => v[i] * 1000,
                                _ => v[i],
                            };
                        }
                    }

                    return values;
                }

            default:
                throw new InvalidOperationException($"unhandled column kind {column.Kind}");
        }
    }

    private static long?[] ReadIntegers(ColumnSource reader, int count)
    {
        var values = new long?[count];
        if (reader.Physical == PhysicalType.Int32)
        {
            var (v, present) = ReadPhysical<int>(reader, count);
            for (var i = 0; i < count; i++)
            {
                values[i] = present is null || present[i] ? v[i] : null;
            }
        }
        else
        {
            var (v, present) = ReadPhysical<long>(reader, count);
            for (var i = 0; i < count; i++)
            {
                values[i] = present is null || present[i] ? v[i] : null;
            }
        }

        return values;
    }

    /// <summary>Reads <paramref name="count"/> rows; values are spread back to row positions, with a presence mask for optional columns.</summary>
    private static (T[] Values, bool[]? Present) ReadPhysical<T>(ColumnSource reader, int count)
        where T : unmanaged
    {
        var typed = (ColumnReader<T>)reader.Reader;
        var maxDef = reader.MaxDefinitionLevel;
        var values = new T[count];
        if (maxDef == 0)
        {
            var got = 0;
            while (got < count)
            {
                var n = typed.ReadBatch(count - got, null, null, values.AsSpan(got), out var valuesRead);
                if (n == 0)
                {
                    break;
                }

                got += (int)valuesRead;
            }

            return (values, null);
        }

        var defs = new short[count];
        var dense = new T[count];
        var levels = 0;
        var denseCount = 0;
        while (levels < count)
        {
            var n = typed.ReadBatch(count - levels, defs.AsSpan(levels), null, dense.AsSpan(denseCount), out var valuesRead);
            if (n == 0)
            {
                break;
            }

            levels += (int)n;
            denseCount += (int)valuesRead;
        }

        var present = new bool[count];
        var k = 0;
        for (var i = 0; i < count; i++)
        {
            if (defs[i] == maxDef)
            {
                present[i] = true;
                values[i] = dense[k++];
            }
        }

        return (values, present);
    }
}

/// <summary>
/// String values kept as UTF-8 in one buffer, null where absent. A column read this way sits in
/// its slot of a row's column arrays as a one-element <c>Utf8Strings[]</c> (<see cref="Of"/>).
/// </summary>
internal sealed class Utf8Strings
{
    private readonly int[] _starts;
    private readonly int[] _lengths;
    private byte[] _bytes;
    private int _length;

    public Utf8Strings(int count)
    {
        _starts = new int[count];
        _lengths = new int[count];
        Array.Fill(_lengths, -1);
        _bytes = new byte[Math.Max(16, count * 24)];
    }

    /// <summary>The UTF-8 column an array slot holds, or null when it holds strings.</summary>
    public static Utf8Strings? Of(Array column) => column is Utf8Strings[] { Length: 1 } one ? one[0] : null;

    public int Count => _starts.Length;

    /// <summary>Whether value <paramref name="i"/> is absent.</summary>
    public bool IsNull(int i) => _lengths[i] < 0;

    /// <summary>Value <paramref name="i"/>'s bytes (empty for a null).</summary>
    public ReadOnlySpan<byte> this[int i] => _lengths[i] < 0 ? default : _bytes.AsSpan(_starts[i], _lengths[i]);

    /// <summary>Value <paramref name="i"/> as a string, or null.</summary>
    public string? ToString(int i) => IsNull(i) ? null : System.Text.Encoding.UTF8.GetString(this[i]);

    public void Set(int i, ReadOnlySpan<byte> value)
    {
        if (_length + value.Length > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + value.Length));
        }

        value.CopyTo(_bytes.AsSpan(_length));
        _starts[i] = _length;
        _lengths[i] = value.Length;
        _length += value.Length;
    }
}
