using System.Runtime.InteropServices;
using ParquetSharp;
using Qindex.Iceberg.Spec;
using Schema = Qindex.Iceberg.Spec.Schema;

namespace Qindex.Iceberg.Parquet;

/// <summary>
/// Reads an Iceberg <see cref="DataFile"/>'s metrics from a Parquet file's footer: per column (by
/// Iceberg field id) its size, value count, null count and bounds. Reading the footer rather than
/// counting while writing means files written by any writer (DuckDB for bulk imports, ParquetSharp
/// for crawls) get the same metrics.
/// </summary>
public static class ParquetMetrics
{
    /// <summary>
    /// The <see cref="DataFile"/> entry for the Parquet file at <paramref name="localPath"/>, to be
    /// recorded at <paramref name="location"/>. String bounds are truncated to 16 code points except
    /// for the columns in <paramref name="fullBoundFieldIds"/>.
    /// </summary>
    /// <exception cref="IcebergException">The file is not Parquet, or a column carries no field id of <paramref name="schema"/>.</exception>
    public static DataFile Read(string localPath, string location, Schema schema, IReadOnlySet<int> fullBoundFieldIds, FileContent content = FileContent.Data, int? sortOrderId = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(fullBoundFieldIds);
        long fileSize = new FileInfo(localPath).Length;
        try
        {
            using var reader = new ParquetFileReader(localPath);
            var metadata = reader.FileMetaData;
            var descriptor = metadata.Schema;
            int columns = descriptor.NumColumns;
            var fieldIds = new int[columns];
            var fields = new NestedField?[columns];
            var nanosecond = new bool[columns];
            for (int c = 0; c < columns; c++)
            {
                var column = descriptor.Column(c);
                using var node = column.SchemaNode;
                using var logical = column.LogicalType;
                fieldIds[c] = node.FieldId;
                fields[c] = schema.FindField(fieldIds[c]);
                nanosecond[c] = logical is TimestampLogicalType { TimeUnit: TimeUnit.Nanos };
            }

            var sizes = new Dictionary<int, long>();
            var values = new Dictionary<int, long>();
            var nulls = new Dictionary<int, long>();
            var lower = new Dictionary<int, byte[]>();
            var upper = new Dictionary<int, byte[]>();
            var lowerValue = new object?[columns];
            var upperValue = new object?[columns];
            var statsComplete = Enumerable.Repeat(true, columns).ToArray();
            var boundsComplete = Enumerable.Repeat(true, columns).ToArray();
            for (int g = 0; g < metadata.NumRowGroups; g++)
            {
                using var rowGroup = reader.RowGroup(g);
                var groupMetadata = rowGroup.MetaData;
                for (int c = 0; c < columns; c++)
                {
                    if (fields[c] is null)
                    {
                        continue;
                    }

                    int id = fieldIds[c];
                    using var chunk = groupMetadata.GetColumnChunkMetaData(c);
                    sizes[id] = sizes.GetValueOrDefault(id) + chunk.TotalCompressedSize;
                    values[id] = values.GetValueOrDefault(id) + chunk.NumValues;
                    using var stats = chunk.IsStatsSet ? chunk.Statistics : null;
                    if (stats is null)
                    {
                        statsComplete[c] = false;
                        continue;
                    }

                    nulls[id] = nulls.GetValueOrDefault(id) + stats.NullCount;
                    if (!stats.HasMinMax)
                    {
                        // Writers drop min/max for long values (over 4 KB for Arrow, DuckDB and
                        // parquet-mr). A row group with values but no min/max leaves the file's bounds
                        // unknown: bounds from the other row groups would exclude its rows.
                        if (chunk.NumValues > stats.NullCount)
                        {
                            boundsComplete[c] = false;
                        }
                    }
                    else
                    {
                        var (min, max) = MinMax(stats);
                        if (lowerValue[c] is null || Compare(min, lowerValue[c]!) < 0)
                        {
                            lowerValue[c] = min;
                        }

                        if (upperValue[c] is null || Compare(max, upperValue[c]!) > 0)
                        {
                            upperValue[c] = max;
                        }
                    }
                }
            }

            for (int c = 0; c < columns; c++)
            {
                if (fields[c] is not { } field)
                {
                    continue;
                }

                if (!statsComplete[c])
                {
                    // A row group without statistics: no bound is known for the whole file.
                    nulls.Remove(field.Id);
                    continue;
                }

                if (boundsComplete[c] && lowerValue[c] is { } lo && upperValue[c] is { } hi)
                {
                    bool full = fullBoundFieldIds.Contains(field.Id);
                    if (Serialize(field.Type, lo, nanosecond[c], isUpper: false, full) is { } l)
                    {
                        lower[field.Id] = l;
                    }

                    if (Serialize(field.Type, hi, nanosecond[c], isUpper: true, full) is { } u)
                    {
                        upper[field.Id] = u;
                    }
                }
            }

            return new DataFile
            {
                Content = content,
                FilePath = location,
                RecordCount = metadata.NumRows,
                FileSizeInBytes = fileSize,
                ColumnSizes = sizes,
                ValueCounts = values,
                NullValueCounts = nulls,
                LowerBounds = lower,
                UpperBounds = upper,
                SortOrderId = sortOrderId,
            };
        }
        catch (ParquetException e)
        {
            throw new IcebergException($"{localPath}: not a readable Parquet file ({e.Message})", e);
        }
    }

    private static (object Min, object Max) MinMax(Statistics stats) => stats switch
    {
        Statistics<bool> b => (b.Min, b.Max),
        Statistics<int> i => (i.Min, i.Max),
        Statistics<long> l => (l.Min, l.Max),
        Statistics<double> d => (d.Min, d.Max),
        Statistics<ByteArray> s => (Copy(s.Min), Copy(s.Max)),
        _ => throw new IcebergException($"unsupported Parquet statistics of physical type {stats.PhysicalType}"),
    };

    private static byte[] Copy(ByteArray value)
    {
        var bytes = new byte[value.Length];
        if (value.Length > 0)
        {
            Marshal.Copy(value.Pointer, bytes, 0, value.Length);
        }

        return bytes;
    }

    private static int Compare(object a, object b) => (a, b) switch
    {
        (bool x, bool y) => x.CompareTo(y),
        (int x, int y) => x.CompareTo(y),
        (long x, long y) => x.CompareTo(y),
        (double x, double y) => x.CompareTo(y),
        (byte[] x, byte[] y) => x.AsSpan().SequenceCompareTo(y),
        _ => throw new IcebergException("mismatched Parquet statistics types across row groups"),
    };

    private static byte[]? Serialize(PrimitiveType type, object value, bool nanosecond, bool isUpper, bool full)
    {
        switch (type)
        {
            case PrimitiveType.Boolean when value is bool b:
                return SingleValue.FromBoolean(b);
            case PrimitiveType.Int when value is int i:
                return SingleValue.FromInt(i);
            case PrimitiveType.Long when value is long l:
                return SingleValue.FromLong(l);
            case PrimitiveType.Long when value is int i:
                return SingleValue.FromLong(i);
            case PrimitiveType.Double when value is double d:
                return double.IsNaN(d) ? null : SingleValue.FromDouble(d);
            case PrimitiveType.TimestampTz when value is long t:
                // Iceberg v2 timestamps are microseconds; round outward so the bound stays a bound.
                return SingleValue.FromLong(nanosecond ? (isUpper ? CeilingDivide(t, 1000) : FloorDivide(t, 1000)) : t);
            case PrimitiveType.String when value is byte[] utf8:
                if (full)
                {
                    return utf8;
                }

                string text = SingleValue.ToString(utf8);
                string? bound = isUpper ? SingleValue.TruncateUpper(text, SingleValue.DefaultTruncateLength) : SingleValue.TruncateLower(text, SingleValue.DefaultTruncateLength);
                return bound is null ? null : SingleValue.FromString(bound);
            case PrimitiveType.Binary when value is byte[] bytes:
                return full || bytes.Length <= SingleValue.DefaultTruncateLength ? bytes : (isUpper ? null : bytes[..SingleValue.DefaultTruncateLength]);
            default:
                return null;
        }
    }

    private static long FloorDivide(long value, long divisor)
    {
        var (q, r) = Math.DivRem(value, divisor);
        return r < 0 ? q - 1 : q;
    }

    private static long CeilingDivide(long value, long divisor)
    {
        var (q, r) = Math.DivRem(value, divisor);
        return r > 0 ? q + 1 : q;
    }
}
