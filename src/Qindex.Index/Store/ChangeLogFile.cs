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
        using (var rowGroup = file.AppendRowGroup())
        {
            using (var w = (ColumnWriter<long>)rowGroup.NextColumn())
            {
                // Every value is present; definition level 1 says so for the optional column.
                var times = new long[count];
                for (int i = 0; i < count; i++)
                {
                    times[i] = FileRecordColumns.ToMicros(i < rows.Count ? rows[i].Time : moved!.Time);
                }

                w.WriteBatch(count, Enumerable.Repeat((short)1, count).ToArray(), null, times);
            }

            using (var w = rowGroup.NextColumn())
            {
                Utf8ColumnWriter.Write(w, new LogStrings(rows, moved, LogStrings.Part.Kind));
            }

            using (var w = rowGroup.NextColumn())
            {
                Utf8ColumnWriter.Write(w, new LogStrings(rows, moved, LogStrings.Part.Path));
            }

            using (var w = rowGroup.NextColumn())
            {
                Utf8ColumnWriter.Write(w, new LogStrings(rows, moved, LogStrings.Part.PreviousPath));
            }

            using (var w = rowGroup.NextColumn().LogicalWriter<long?>())
            {
                w.WriteBatch(rows.Select(r => r.SizeBefore).Concat(moved?.Sizes() ?? []).ToArray());
            }

            using (var w = rowGroup.NextColumn().LogicalWriter<long?>())
            {
                w.WriteBatch(rows.Select(r => r.SizeAfter).Concat(moved?.Sizes() ?? []).ToArray());
            }

            using (var w = rowGroup.NextColumn().LogicalWriter<long?>())
            {
                w.WriteBatch(rows.Select(r => (long?)r.SnapshotId).Concat(Enumerable.Repeat((long?)moved?.SnapshotId, moved?.Count ?? 0)).ToArray());
            }
        }

        file.Close();
    }

    /// <summary>One string column of the log: the rows' strings, then the moved rows' as UTF-8.</summary>
    private sealed class LogStrings(IReadOnlyList<ChangeLogRow> rows, MovedLogRows? moved, LogStrings.Part part) : IUtf8Values
    {
        public enum Part
        {
            Kind,
            Path,
            PreviousPath,
        }

        private static readonly byte[] Rename = "rename"u8.ToArray();

        public int Count => rows.Count + (moved?.Count ?? 0);

        public int ByteCount(int i)
        {
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

    public IEnumerable<long?> Sizes() => _kept.Select(Rows.Size);
}
