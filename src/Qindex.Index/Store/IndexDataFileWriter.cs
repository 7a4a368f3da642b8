using System.Buffers;
using ParquetSharp;
using ParquetSharp.Schema;
using Qindex.Iceberg.Parquet;
using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>What was written to one data file: enough for a table to register it.</summary>
/// <param name="Path">Local path of the file.</param>
/// <param name="RecordCount">Rows in the file.</param>
/// <param name="FileSizeInBytes">Size on disk.</param>
/// <param name="LowerPath">Smallest path in the file.</param>
/// <param name="UpperPath">Largest path in the file.</param>
public sealed record IndexDataFile(string Path, long RecordCount, long FileSizeInBytes, string LowerPath, string UpperPath)
{
    /// <summary>
    /// True when rows are in path order (crawls, compaction); false for bulk imports, which write
    /// rows as they come and leave sorting to compaction. Decides the file's sort order id.
    /// </summary>
    public bool Sorted { get; init; } = true;
}

/// <summary>The first <paramref name="Count"/> values of <paramref name="Values"/>: a column handed to the writer in a buffer that may be longer.</summary>
internal readonly record struct ColumnValues(Array Values, int Count);

/// <summary>
/// Writes a batch of records, already sorted by path, as one Parquet data file whose columns carry
/// the Iceberg field ids of <see cref="IndexColumns"/>, timestamps as microseconds adjusted to UTC.
/// Row groups are kept small so a reader can narrow a path to one row group through statistics.
/// </summary>
public static class IndexDataFileWriter
{
    /// <summary>Rows per row group: small enough for point lookups, large enough for scans.</summary>
    public const int RowGroupRows = 64 * 1024;

    /// <summary>
    /// Rows per row group of the files a sort or a merge writes for itself (sort runs, a merge's
    /// intermediate passes), never published: a merge reads sixteen of them at once, and each open
    /// input holds its row group's column chunks and a decoded page of every column, a 64k-row
    /// group's worth (decision 0018).
    /// </summary>
    internal const int ScratchRowGroupRows = 8 * 1024;

    /// <summary>The Parquet schema of an index data file, with field ids.</summary>
    public static GroupNode Schema() => ParquetTableSchema.Table(IndexColumns.All.Select(c => c.Kind switch
    {
        ColumnKind.String => new ParquetTableSchema.Column(c.Name, Rep(c), LogicalType.String, PhysicalType.ByteArray, c.FieldId),
        ColumnKind.Int32 => new ParquetTableSchema.Column(c.Name, Rep(c), LogicalType.None, PhysicalType.Int32, c.FieldId),
        ColumnKind.Int64 => new ParquetTableSchema.Column(c.Name, Rep(c), LogicalType.None, PhysicalType.Int64, c.FieldId),
        ColumnKind.Boolean => new ParquetTableSchema.Column(c.Name, Rep(c), LogicalType.None, PhysicalType.Boolean, c.FieldId),
        ColumnKind.TimestampTz => new ParquetTableSchema.Column(c.Name, Rep(c), () => LogicalType.Timestamp(true, TimeUnit.Micros), PhysicalType.Int64, c.FieldId),
        _ => throw new InvalidOperationException($"unhandled column kind {c.Kind}"),
    }));

    /// <summary>
    /// Columns whose values are (nearly) all distinct. A dictionary never pays off for them: the
    /// writer hashes every value until the dictionary page overflows, then writes them plain anyway.
    /// Without it the import of 2M users'-schema rows wrote 17 percent smaller files in less time
    /// (docs/decisions/0004-import-unsorted.md).
    /// </summary>
    private static readonly string[] DistinctColumns = ["path", "name", "id", "file_number", "access_time", "modification_time", "change_time", "creation_time"];

    /// <summary>The writer properties of every index data file: zstd, small row groups, qindex's created_by.</summary>
    public static WriterProperties Properties() => ParquetTableSchema.Properties(ParquetCreatedBy.Value, builder =>
    {
        builder.MaxRowGroupLength(RowGroupRows);
        foreach (var column in DistinctColumns)
        {
            builder.DisableDictionary(column);
        }
    });

    private static Repetition Rep(IndexColumn c) => c.Required ? Repetition.Required : Repetition.Optional;

    /// <summary>Writes <paramref name="sortedRows"/> to <paramref name="path"/> (created or replaced).</summary>
    public static IndexDataFile Write(string path, IReadOnlyList<FileRecord> sortedRows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sortedRows);
        if (sortedRows.Count == 0)
        {
            throw new ArgumentException("a data file needs at least one row", nameof(sortedRows));
        }

        return Write(path, sortedRows.Count, (column, start, count) => FileRecordColumns.ToColumn(IndexColumns.All[column], new ListSlice(sortedRows, start, count)), cancellationToken);
    }

    /// <summary>
    /// Writes <paramref name="rowCount"/> rows, sorted by path, given column by column:
    /// <paramref name="slice"/>(column, start, count) returns the values of the column at that
    /// position in <see cref="IndexColumns.All"/> for rows [start, start + count), in the shapes of
    /// <see cref="FileRecordColumns"/>, or for a string column as UTF-8 (<see cref="IUtf8Values"/>).
    /// Each row group asks for each column once.
    /// </summary>
    internal static IndexDataFile Write(string path, int rowCount, Func<int, int, int, object> slice, CancellationToken cancellationToken, int rowGroupRows = RowGroupRows)
    {
        ArgumentNullException.ThrowIfNull(slice);
        if (rowCount <= 0)
        {
            throw new ArgumentException("a data file needs at least one row", nameof(rowCount));
        }

        string? lower = null, upper = null;
        using var schema = Schema();
        using var properties = Properties();
        using (var file = new ParquetFileWriter(path, schema, properties))
        {
            for (var start = 0; start < rowCount; start += rowGroupRows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var count = Math.Min(rowGroupRows, rowCount - start);
                using var rowGroup = file.AppendRowGroup();
                for (var c = 0; c < IndexColumns.All.Count; c++)
                {
                    var values = slice(c, start, count);
                    if (c == 0 && values is IUtf8Values utf8)
                    {
                        lower ??= Utf8Value(utf8, 0);
                        upper = Utf8Value(utf8, utf8.Count - 1);
                    }
                    else if (c == 0)
                    {
                        var (paths, n) = values is ColumnValues some ? ((string?[])some.Values, some.Count) : ((string?[])values, ((string?[])values).Length);
                        lower ??= paths[0];
                        upper = paths[n - 1];
                    }

                    using var writer = rowGroup.NextColumn();
                    WriteColumn(writer, IndexColumns.All[c], values);
                }
            }

            file.Close();
        }

        return new IndexDataFile(path, rowCount, new FileInfo(path).Length, lower!, upper!);
    }

    private static string Utf8Value(IUtf8Values values, int i)
    {
        var bytes = new byte[Math.Max(0, values.ByteCount(i))];
        return System.Text.Encoding.UTF8.GetString(bytes, 0, values.Write(i, bytes));
    }

    private static void WriteColumn(ColumnWriter writer, IndexColumn column, object values)
    {
        if (values is IUtf8Values utf8)
        {
            Utf8ColumnWriter.Write(writer, utf8);
            return;
        }

        var (array, count) = values is ColumnValues some ? (some.Values, some.Count) : ((Array)values, ((Array)values).Length);
        switch (array)
        {
            case string?[] s:
                Utf8ColumnWriter.Write(writer, s, count);
                break;
            case int?[] i when column.Required:
                using (var w = writer.LogicalWriter<int>())
                {
                    w.WriteBatch(i.Take(count).Select(v => v!.Value).ToArray());
                }

                break;
            case int?[] i:
                using (var w = writer.LogicalWriter<int?>())
                {
                    w.WriteBatch(i.AsSpan(0, count));
                }

                break;
            case long?[] l when column.Kind == ColumnKind.TimestampTz:
                WritePhysicalNullable((ColumnWriter<long>)writer, l.AsSpan(0, count));
                break;
            case long?[] l:
                using (var w = writer.LogicalWriter<long?>())
                {
                    w.WriteBatch(l.AsSpan(0, count));
                }

                break;
            case bool?[] b:
                using (var w = writer.LogicalWriter<bool?>())
                {
                    w.WriteBatch(b.AsSpan(0, count));
                }

                break;
            default:
                throw new InvalidOperationException($"unexpected array {array.GetType()} for column {column.Name}");
        }
    }

    private static void WritePhysicalNullable(ColumnWriter<long> writer, ReadOnlySpan<long?> values)
    {
        var defLevels = ArrayPool<short>.Shared.Rent(Math.Max(1, values.Length));
        var present = ArrayPool<long>.Shared.Rent(Math.Max(1, values.Length));
        try
        {
            var n = 0;
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i] is { } v)
                {
                    defLevels[i] = 1;
                    present[n++] = v;
                }
                else
                {
                    defLevels[i] = 0;
                }
            }

            writer.WriteBatch(values.Length, defLevels.AsSpan(0, values.Length), null, present.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<short>.Shared.Return(defLevels);
            ArrayPool<long>.Shared.Return(present);
        }
    }

    /// <summary>
    /// Writes a data file a few rows at a time, each call's rows turned into columns and encoded
    /// at once into a buffered row group that is closed when it holds its rows (by default
    /// <see cref="RowGroupRows"/>): memory holds one row group's encoded pages, not its rows. The file is the one
    /// <see cref="Write(string, IReadOnlyList{FileRecord}, CancellationToken)"/> makes of the same
    /// rows. A merge keeps a whole output file's records otherwise (decision 0018).
    /// </summary>
    internal sealed class Appender : IDisposable
    {
        private readonly string _path;
        private readonly GroupNode _schema;
        private readonly WriterProperties _properties;
        private readonly ParquetFileWriter _file;
        private readonly int _rowGroupRows;
        private RowGroupWriter? _rowGroup;
        private int _inRowGroup;
        private string? _lower, _upper;
        private bool _closed;

        /// <summary>Creates (or replaces) the file at <paramref name="path"/>, of row groups of <paramref name="rowGroupRows"/> rows.</summary>
        public Appender(string path, int rowGroupRows = RowGroupRows)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupRows, 1);
            _path = path;
            _rowGroupRows = rowGroupRows;
            _schema = Schema();
            _properties = Properties();
            try
            {
                _file = new ParquetFileWriter(path, _schema, _properties);
            }
            catch
            {
                _properties.Dispose();
                _schema.Dispose();
                throw;
            }
        }

        /// <summary>Rows appended so far.</summary>
        public int RowCount { get; private set; }

        /// <summary>Appends <paramref name="rows"/>[start, start + count), which sort after every row appended before.</summary>
        public void Append(IReadOnlyList<FileRecord> rows, int start, int count)
        {
            ArgumentNullException.ThrowIfNull(rows);
            ObjectDisposedException.ThrowIf(_closed, this);
            while (count > 0)
            {
                _rowGroup ??= _file.AppendBufferedRowGroup();
                int n = Math.Min(count, _rowGroupRows - _inRowGroup);
                var slice = new ListSlice(rows, start, n);
                for (var c = 0; c < IndexColumns.All.Count; c++)
                {
                    using var writer = _rowGroup.Column(c);
                    WriteColumn(writer, IndexColumns.All[c], FileRecordColumns.ToColumn(IndexColumns.All[c], slice));
                }

                _lower ??= rows[start].Path;
                _upper = rows[start + n - 1].Path;
                _inRowGroup += n;
                RowCount += n;
                start += n;
                count -= n;
                if (_inRowGroup == _rowGroupRows)
                {
                    CloseRowGroup();
                }
            }
        }

        /// <summary>Closes the file, which must hold a row; what a table needs to register it.</summary>
        public IndexDataFile Complete()
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (RowCount == 0)
            {
                throw new InvalidOperationException("a data file needs at least one row");
            }

            CloseRowGroup();
            _file.Close();
            Dispose();
            return new IndexDataFile(_path, RowCount, new FileInfo(_path).Length, _lower!, _upper!);
        }

        public void Dispose()
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _rowGroup?.Dispose();
            _file.Dispose();
            _properties.Dispose();
            _schema.Dispose();
        }

        private void CloseRowGroup()
        {
            if (_rowGroup is not null)
            {
                _rowGroup.Close();
                _rowGroup.Dispose();
                _rowGroup = null;
                _inRowGroup = 0;
            }
        }
    }

    /// <summary>A window on a list without copying it.</summary>
    private sealed class ListSlice(IReadOnlyList<FileRecord> list, int start, int count) : IReadOnlyList<FileRecord>
    {
        public FileRecord this[int index] => list[start + index];

        public int Count => count;

        public IEnumerator<FileRecord> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
            {
                yield return list[start + i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
