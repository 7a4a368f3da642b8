using System.Buffers;
using ParquetSharp;
using Qindex.Iceberg.Spec;
using Qindex.Index.Records;
using IcebergSchema = Qindex.Iceberg.Spec.Schema;

namespace Qindex.Index.Store;

/// <summary>One row of the <c>changes</c> table: what one applied change did to one path.</summary>
/// <param name="Time">When the change set committed.</param>
/// <param name="Kind">insert, update, delete or rename.</param>
/// <param name="Path">The path after the change (for a delete, the path removed).</param>
/// <param name="PreviousPath">The old path of a rename.</param>
/// <param name="SizeBefore">The size before (null for an insert, or when unknown).</param>
/// <param name="SizeAfter">The size after (null for a delete).</param>
/// <param name="SnapshotId">The <c>files</c> snapshot that made the change.</param>
public sealed record ChangeLogRow(DateTimeOffset Time, string Kind, string Path, string? PreviousPath, long? SizeBefore, long? SizeAfter, long SnapshotId);

/// <summary>
/// The schema of the append-only <c>qindex.changes</c> table and its Parquet data files. Every
/// column is optional so files merged by other writers (DuckDB writes optional columns) match it.
/// </summary>
public static class ChangeLogFile
{
    /// <summary>The Iceberg schema.</summary>
    public static IcebergSchema Schema { get; } = new(0, [
        new NestedField(1, "time", PrimitiveType.TimestampTz),
        new NestedField(2, "kind", PrimitiveType.String),
        new NestedField(3, "path", PrimitiveType.String),
        new NestedField(4, "previous_path", PrimitiveType.String),
        new NestedField(5, "size_before", PrimitiveType.Long),
        new NestedField(6, "size_after", PrimitiveType.Long),
        new NestedField(7, "snapshot_id", PrimitiveType.Long),
    ]);

    /// <summary>Sorted by time, which is how the table is appended.</summary>
    public static Qindex.Iceberg.Spec.SortOrder SortOrder { get; } = new(1, [new SortField(1)]);

    /// <summary>Writes <paramref name="rows"/> as one Parquet file.</summary>
    public static void Write(string path, IReadOnlyList<ChangeLogRow> rows) => Write(path, rows, null);

    /// <summary>Writes <paramref name="rows"/>, then the renames of <paramref name="moved"/>, as one Parquet file.</summary>
    internal static void Write(string path, IReadOnlyList<ChangeLogRow> rows, MovedLogRows? moved)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int count = rows.Count + (moved?.Count ?? 0);
        using var schema = ParquetTableSchema.Table([
            new("time", Repetition.Optional, () => LogicalType.Timestamp(true, TimeUnit.Micros), PhysicalType.Int64, 1),
            new("kind", Repetition.Optional, LogicalType.String, PhysicalType.ByteArray, 2),
            new("path", Repetition.Optional, LogicalType.String, PhysicalType.ByteArray, 3),
            new("previous_path", Repetition.Optional, LogicalType.String, PhysicalType.ByteArray, 4),
            new("size_before", Repetition.Optional, LogicalType.None, PhysicalType.Int64, 5),
            new("size_after", Repetition.Optional, LogicalType.None, PhysicalType.Int64, 6),
            new("snapshot_id", Repetition.Optional, LogicalType.None, PhysicalType.Int64, 7),
        ]);
        using var properties = ParquetTableSchema.Properties("qindex");
        using var file = new ParquetFileWriter(path, schema, properties);

        // In row groups of a bounded size, so that a directory move's hundreds of thousands of
        // renames are written through buffers the shared pools keep, not arrays made for each log.
        var times = ArrayPool<long>.Shared.Rent(RowGroupRows);
        var levels = ArrayPool<short>.Shared.Rent(RowGroupRows);
        var numbers = ArrayPool<long?>.Shared.Rent(RowGroupRows);
        try
        {
            levels.AsSpan().Fill(1);
            for (int start = 0; start < count || start == 0; start += RowGroupRows)
            {
                int n = Math.Min(RowGroupRows, count - start);
                using var rowGroup = file.AppendRowGroup();
                using (var w = (ColumnWriter<long>)rowGroup.NextColumn())
                {
                    // Every value is present; definition level 1 says so for the optional column.
                    for (int i = 0; i < n; i++)
                    {
                        times[i] = FileRecordColumns.ToMicros(start + i < rows.Count ? rows[start + i].Time : moved!.Time);
                    }

                    w.WriteBatch(n, levels.AsSpan(0, n), null, times.AsSpan(0, n));
                }

                foreach (var part in (ReadOnlySpan<LogStrings.Part>)[LogStrings.Part.Kind, LogStrings.Part.Path, LogStrings.Part.PreviousPath])
                {
                    using var w = rowGroup.NextColumn();
                    Utf8ColumnWriter.Write(w, new LogStrings(rows, moved, part, start, n));
                }

                foreach (var pick in (ReadOnlySpan<int>)[0, 1, 2])
                {
                    for (int i = 0; i < n; i++)
                    {
                        int at = start + i;
                        numbers[i] = at < rows.Count
                            ? pick switch { 0 => rows[at].SizeBefore, 1 => rows[at].SizeAfter, _ => rows[at].SnapshotId }
                            : pick == 2 ? moved!.SnapshotId : moved!.Size(at - rows.Count);
                    }

                    using var w = rowGroup.NextColumn().LogicalWriter<long?>();
                    w.WriteBatch(numbers.AsSpan(0, n));
                }
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(times);
            ArrayPool<short>.Shared.Return(levels);
            ArrayPool<long?>.Shared.Return(numbers);
        }

        file.Close();
    }

    /// <summary>Rows a row group of the log holds at most.</summary>
    private const int RowGroupRows = 64 * 1024;

    /// <summary>One string column of the log: the rows' strings, then the moved rows' as UTF-8.</summary>
    private sealed class LogStrings(IReadOnlyList<ChangeLogRow> rows, MovedLogRows? moved, LogStrings.Part part, int start, int count) : IUtf8Values
    {
        public enum Part
        {
            Kind,
            Path,
            PreviousPath,
        }

        private static readonly byte[] Rename = "rename"u8.ToArray();

        public int Count => count;

        public int ByteCount(int i)
        {
            i += start;
            if (i < rows.Count)
            {
                return Of(rows[i]) is { } value ? System.Text.Encoding.UTF8.GetByteCount(value) : -1;
            }

            int m = moved!.Row(i - rows.Count);
            return part switch
            {
                Part.Kind => Rename.Length,
                Part.Path => moved.Rows.PathUtf8(m).Length,
                _ => moved.Rows.PreviousLength(m),
            };
        }

        public int Write(int i, Span<byte> into)
        {
            i += start;
            if (i < rows.Count)
            {
                return System.Text.Encoding.UTF8.GetBytes(Of(rows[i]), into);
            }

            int m = moved!.Row(i - rows.Count);
            switch (part)
            {
                case Part.Kind:
                    Rename.CopyTo(into);
                    return Rename.Length;
                case Part.Path:
                    var path = moved.Rows.PathUtf8(m);
                    path.CopyTo(into);
                    return path.Length;
                default:
                    return moved.Rows.WritePreviousUtf8(m, into);
            }
        }

        private string? Of(ChangeLogRow row) => part switch
        {
            Part.Kind => row.Kind,
            Part.Path => row.Path,
            _ => row.PreviousPath,
        };
    }
}

/// <summary>
/// The rows a change set's directory moves carried, as the changes log writes them: one rename a
/// row (its size before and after), from its old path to its new, at the commit's time.
/// </summary>
internal sealed class MovedLogRows
{
    private readonly int[] _kept;

    public MovedLogRows(MovedRows rows, DateTimeOffset time, long snapshotId)
    {
        Rows = rows;
        Time = time;
        SnapshotId = snapshotId;
        _kept = new int[rows.Kept];
        for (int i = 0, k = 0; i < rows.Count; i++)
        {
            if (!rows.IsDropped(i))
            {
                _kept[k++] = i;
            }
        }
    }

    public MovedRows Rows { get; }

    public DateTimeOffset Time { get; }

    public long SnapshotId { get; }

    public int Count => _kept.Length;

    /// <summary>The index in <see cref="Rows"/> of logged row <paramref name="i"/>.</summary>
    public int Row(int i) => _kept[i];

    /// <summary>The size of logged row <paramref name="i"/> (before and after: a move keeps it).</summary>
    public long? Size(int i) => Rows.Size(_kept[i]);
}
