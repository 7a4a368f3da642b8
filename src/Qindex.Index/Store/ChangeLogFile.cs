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
    public static void Write(string path, IReadOnlyList<ChangeLogRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
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
                w.WriteBatch(rows.Count, Enumerable.Repeat((short)1, rows.Count).ToArray(), null, rows.Select(r => FileRecordColumns.ToMicros(r.Time)).ToArray());
            }

            using (var w = rowGroup.NextColumn())
            {
                Utf8ColumnWriter.Write(w, rows.Select(r => (string?)r.Kind).ToArray());
            }

            using (var w = rowGroup.NextColumn())
            {
                Utf8ColumnWriter.Write(w, rows.Select(r => (string?)r.Path).ToArray());
            }

            using (var w = rowGroup.NextColumn())
            {
                Utf8ColumnWriter.Write(w, rows.Select(r => r.PreviousPath).ToArray());
            }

            using (var w = rowGroup.NextColumn().LogicalWriter<long?>())
            {
                w.WriteBatch(rows.Select(r => r.SizeBefore).ToArray());
            }

            using (var w = rowGroup.NextColumn().LogicalWriter<long?>())
            {
                w.WriteBatch(rows.Select(r => r.SizeAfter).ToArray());
            }

            using (var w = rowGroup.NextColumn().LogicalWriter<long?>())
            {
                w.WriteBatch(rows.Select(r => (long?)r.SnapshotId).ToArray());
            }
        }

        file.Close();
    }
}
