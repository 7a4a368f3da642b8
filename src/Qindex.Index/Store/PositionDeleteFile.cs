using System.Buffers;
using ParquetSharp;
using Qindex.Iceberg.Spec;
using IcebergSchema = Qindex.Iceberg.Spec.Schema;

namespace Qindex.Index.Store;

/// <summary>One row a position-delete file removes: the data file's location and the row's position in it.</summary>
internal readonly record struct PositionDelete(string FilePath, long Position);

/// <summary>
/// Iceberg v2 position-delete files (spec: "Position Delete Files"): Parquet with the reserved
/// columns <c>file_path</c> (field id 2147483546) and <c>pos</c> (2147483545), sorted by file
/// path then position, so a reader can merge them with the data files it scans.
/// </summary>
internal static class PositionDeleteFile
{
    public const int FilePathFieldId = 2147483546;
    public const int PositionFieldId = 2147483545;

    /// <summary>The Iceberg schema of a position-delete file, for its metrics.</summary>
    public static IcebergSchema Schema { get; } = new(0, [
        new NestedField(FilePathFieldId, "file_path", PrimitiveType.String, true),
        new NestedField(PositionFieldId, "pos", PrimitiveType.Long, true),
    ]);

    /// <summary>Bounds of both columns are kept whole: readers prune delete files by file path.</summary>
    public static IReadOnlySet<int> FullBoundColumns { get; } = new HashSet<int> { FilePathFieldId, PositionFieldId };

    /// <summary>Sorts <paramref name="deletes"/> and writes them to <paramref name="path"/>.</summary>
    public static void Write(string path, List<PositionDelete> deletes)
    {
        ArgumentNullException.ThrowIfNull(deletes);
        deletes.Sort((a, b) =>
        {
            int c = string.CompareOrdinal(a.FilePath, b.FilePath);
            return c != 0 ? c : a.Position.CompareTo(b.Position);
        });
        using var schema = ParquetTableSchema.Table([
            new("file_path", Repetition.Required, LogicalType.String, PhysicalType.ByteArray, FilePathFieldId),
            new("pos", Repetition.Required, LogicalType.None, PhysicalType.Int64, PositionFieldId),
        ]);
        using var properties = ParquetTableSchema.Properties("qindex");
        using var file = new ParquetFileWriter(path, schema, properties);

        // In bounded row groups from pooled buffers, each data file's location encoded once: a
        // watcher's batch deletes hundreds of thousands of rows from a handful of files.
        var positions = ArrayPool<long>.Shared.Rent(RowGroupRows);
        try
        {
            for (int start = 0; start < deletes.Count || start == 0; start += RowGroupRows)
            {
                int n = Math.Min(RowGroupRows, deletes.Count - start);
                using var rowGroup = file.AppendRowGroup();
                using (var w = rowGroup.NextColumn())
                {
                    Utf8ColumnWriter.Write(w, new Locations(deletes, start, n));
                }

                for (int i = 0; i < n; i++)
                {
                    positions[i] = deletes[start + i].Position;
                }

                using (var w = rowGroup.NextColumn().LogicalWriter<long>())
                {
                    w.WriteBatch(positions.AsSpan(0, n));
                }
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(positions);
        }

        file.Close();
    }

    /// <summary>Reads every (file path, position) of a local position-delete file.</summary>
    public static List<PositionDelete> Read(string localPath)
    {
        var result = new List<PositionDelete>();
        using var reader = new ParquetFileReader(localPath);
        var schema = reader.FileMetaData.Schema;
        int pathColumn = -1, posColumn = -1;
        for (int i = 0; i < schema.NumColumns; i++)
        {
            using var node = schema.Column(i).SchemaNode;
            switch (node.FieldId)
            {
                case FilePathFieldId: pathColumn = i; break;
                case PositionFieldId: posColumn = i; break;
            }
        }

        if (pathColumn < 0 || posColumn < 0)
        {
            throw new IndexStoreException($"{localPath}: not a position-delete file (no file_path and pos columns)");
        }

        for (int g = 0; g < reader.FileMetaData.NumRowGroups; g++)
        {
            using var rowGroup = reader.RowGroup(g);
            int rows = checked((int)rowGroup.MetaData.NumRows);
            string[] paths;
            long[] positions;
            using (var r = rowGroup.Column(pathColumn).LogicalReader<string>())
            {
                paths = r.ReadAll(rows);
            }

            using (var r = rowGroup.Column(posColumn).LogicalReader<long>())
            {
                positions = r.ReadAll(rows);
            }

            for (int i = 0; i < rows; i++)
            {
                result.Add(new PositionDelete(paths[i], positions[i]));
            }
        }

        return result;
    }

    /// <summary>Rows a row group of a delete file holds at most.</summary>
    private const int RowGroupRows = 64 * 1024;

    /// <summary>The data file locations of deletes [start, start + count), the UTF-8 of each distinct location made once.</summary>
    private sealed class Locations(List<PositionDelete> deletes, int start, int count) : IUtf8Values
    {
        private string? _last;
        private byte[] _lastUtf8 = [];

        public int Count => count;

        public int ByteCount(int i) => Utf8(i).Length;

        public int Write(int i, Span<byte> into)
        {
            var value = Utf8(i);
            value.CopyTo(into);
            return value.Length;
        }

        private byte[] Utf8(int i)
        {
            var location = deletes[start + i].FilePath;
            if (!ReferenceEquals(location, _last) && location != _last)
            {
                _lastUtf8 = System.Text.Encoding.UTF8.GetBytes(location);
                _last = location;
            }

            return _lastUtf8;
        }
    }
}
