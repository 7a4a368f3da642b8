using ParquetSharp;
using Qindex.Index.Import;
using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>Reads what the store needs from one local data file: its paths by position, or whole rows at chosen positions.</summary>
internal static class DataFileRows
{
    /// <summary>
    /// Every row's path as UTF-8, one buffer for the file: row i's bytes end at Ends[i] and start
    /// where row i-1's end (the buffer may be a little longer than the last end). No string is
    /// made (a file of a million paths made a million). Bytes that are not valid UTF-8 are
    /// replaced as decoding them into a string would, so each path's bytes are those of its
    /// string, and its key and order are the same.
    /// </summary>
    public static unsafe (byte[] Utf8, int[] Ends) ReadPathsUtf8(string localPath)
    {
        using var reader = new ParquetFileReader(localPath);
        var metadata = reader.FileMetaData;
        int column = PathColumn(localPath, metadata.Schema);
        var ends = new int[checked((int)metadata.NumRows)];

        // Sized from the footer: the path column's uncompressed bytes (each value's bytes and its
        // length, or the dictionary holding them, paths being distinct) are at least its paths'.
        // Growing from a guess copied the buffer two or three times, and trimming it once more: in
        // the watcher those copies and the fresh pages they touched were most of this read's time.
        long expected = 0;
        for (int g = 0; g < metadata.NumRowGroups; g++)
        {
            using var group = reader.RowGroup(g);
            using var chunk = group.MetaData.GetColumnChunkMetaData(column);
            expected += chunk.TotalUncompressedSize;
        }

        var utf8 = new byte[Math.Clamp(expected, 1024, Array.MaxLength)];
        int length = 0, at = 0;
        var values = new ByteArray[8192];
        var defs = new short[values.Length];
        for (int g = 0; g < metadata.NumRowGroups; g++)
        {
            using var rowGroup = reader.RowGroup(g);
            long rows = rowGroup.MetaData.NumRows;
            using var pathColumn = rowGroup.Column(column);
            var typed = pathColumn as ColumnReader<ByteArray> ?? throw new IndexStoreException($"{localPath}: the path column is not a string column");
            int maxDef = pathColumn.ColumnDescriptor.MaxDefinitionLevel;
            for (long read = 0; read < rows;)
            {
                int levels = (int)typed.ReadBatch(Math.Min(values.Length, rows - read), maxDef == 0 ? default : defs.AsSpan(), default, values, out _);
                if (levels == 0 || at + levels > ends.Length)
                {
                    throw new IndexStoreException($"{localPath}: row group {g} has {rows} rows but its paths end after {read}");
                }

                for (int i = 0, k = 0; i < levels; i++)
                {
                    if (maxDef == 0 || defs[i] == maxDef)
                    {
                        var value = values[k++];
                        var bytes = new ReadOnlySpan<byte>((byte*)value.Pointer, value.Length);
                        if (!System.Text.Unicode.Utf8.IsValid(bytes))
                        {
                            bytes = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(bytes));
                        }

                        if (length + bytes.Length > utf8.Length)
                        {
                            Array.Resize(ref utf8, Math.Max(utf8.Length * 2, length + bytes.Length));
                        }

                        bytes.CopyTo(utf8.AsSpan(length));
                        length += bytes.Length;
                    }

                    ends[at++] = length;
                }

                read += levels;
            }
        }

        if (at != ends.Length)
        {
            throw new IndexStoreException($"{localPath}: {ends.Length} rows but {at} paths");
        }

        if (utf8.Length - length > utf8.Length / 8)
        {
            // Trimmed only when the footer's estimate was far off (a dictionary-encoded column of
            // repeated paths); otherwise the slack is a few bytes a row, cheaper kept than copied.
            Array.Resize(ref utf8, length);
        }

        return (utf8, ends);
    }

    /// <summary>Every row's path and size, indexed by row position.</summary>
    public static (string[] Paths, long?[] Sizes) ReadPathsAndSizes(string localPath)
    {
        using var reader = new ParquetFileReader(localPath);
        var metadata = reader.FileMetaData;
        int column = PathColumn(localPath, metadata.Schema);
        int sizeColumn = SizeColumn(metadata.Schema);
        var result = new string[checked((int)metadata.NumRows)];
        var sizeValues = new long?[sizeColumn >= 0 ? result.Length : 0];
        int at = 0;
        for (int g = 0; g < metadata.NumRowGroups; g++)
        {
            using var rowGroup = reader.RowGroup(g);
            int rows = checked((int)rowGroup.MetaData.NumRows);
            using var pathColumn = rowGroup.Column(column);
            using var r = pathColumn.LogicalReader<string>();
            int read = r.ReadBatch(result.AsSpan(at, rows));
            if (read != rows)
            {
                throw new IndexStoreException($"{localPath}: row group {g} has {rows} rows but {read} paths");
            }

            if (sizeColumn >= 0)
            {
                ReadSizes(rowGroup.Column(sizeColumn), sizeValues.AsSpan(at, rows));
            }

            at += rows;
        }

        return (result, sizeValues);
    }

    /// <summary>
    /// The paths at <paramref name="positions"/> (ascending), by position: only the row groups
    /// holding them are read, and only their path column, skipping the rows between.
    /// </summary>
    public static Dictionary<int, string> ReadPathsAt(string localPath, IReadOnlyList<int> positions)
    {
        ArgumentNullException.ThrowIfNull(positions);
        using var reader = new ParquetFileReader(localPath);
        var metadata = reader.FileMetaData;
        int column = PathColumn(localPath, metadata.Schema);
        var result = new Dictionary<int, string>(positions.Count);
        var one = new string[1];
        long rowBase = 0;
        int next = 0;
        for (int g = 0; g < metadata.NumRowGroups && next < positions.Count; g++)
        {
            using var rowGroup = reader.RowGroup(g);
            long rows = rowGroup.MetaData.NumRows;
            if (positions[next] >= rowBase + rows)
            {
                rowBase += rows;
                continue;
            }

            using var pathColumn = rowGroup.Column(column);
            using var r = pathColumn.LogicalReader<string>();
            long at = rowBase;
            for (; next < positions.Count && positions[next] < rowBase + rows; next++)
            {
                if (positions[next] < at)
                {
                    throw new ArgumentException("positions must be ascending and distinct", nameof(positions));
                }

                if (positions[next] > at)
                {
                    r.Skip(positions[next] - at);
                }

                if (r.ReadBatch(one) != 1)
                {
                    throw new IndexStoreException($"{localPath}: row group {g} ends before row {positions[next]}");
                }

                result[positions[next]] = one[0];
                at = positions[next] + 1;
            }

            rowBase += rows;
        }

        if (next < positions.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(positions), $"{localPath} has {rowBase} rows; position {positions[next]} is past its end");
        }

        return result;
    }

    /// <summary>Stands for a row whose id is missing or not a decimal number.</summary>
    public const ulong NoId = ulong.MaxValue;

    /// <summary>
    /// Every row's id as a number, indexed by row position (<see cref="NoId"/> where the id is
    /// missing or not decimal): eight bytes a row, where the strings would take about forty.
    /// </summary>
    public static ulong[] ReadIds(string localPath)
    {
        using var reader = new ParquetFileReader(localPath);
        var metadata = reader.FileMetaData;
        var result = new ulong[checked((int)metadata.NumRows)];
        int column = IdColumn(metadata.Schema);
        if (column < 0)
        {
            Array.Fill(result, NoId);
            return result;
        }

        int at = 0;
        string?[] buffer = [];
        for (int g = 0; g < metadata.NumRowGroups; g++)
        {
            using var rowGroup = reader.RowGroup(g);
            int rows = checked((int)rowGroup.MetaData.NumRows);
            if (buffer.Length < rows)
            {
                buffer = new string?[rows];
            }

            using var idColumn = rowGroup.Column(column);
            using var r = idColumn.LogicalReader<string?>();
            int read = r.ReadBatch(buffer.AsSpan(0, rows));
            if (read != rows)
            {
                throw new IndexStoreException($"{localPath}: row group {g} has {rows} rows but {read} ids");
            }

            for (int i = 0; i < rows; i++)
            {
                result[at + i] = ParseId(buffer[i]);
            }

            at += rows;
        }

        return result;
    }

    /// <summary>An id as <see cref="ReadIds"/> holds it: the decimal number, or <see cref="NoId"/>.</summary>
    public static ulong ParseId(string? id) =>
        id is { Length: > 0 } && id.All(char.IsAsciiDigit) && ulong.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong value)
            ? value
            : NoId;

    private static int IdColumn(SchemaDescriptor schema)
    {
        int fieldId = IndexColumns.All.First(c => c.Name == "id").FieldId;
        for (int i = 0; i < schema.NumColumns; i++)
        {
            var column = schema.Column(i);
            using var node = column.SchemaNode;
            if ((node.FieldId == fieldId || (node.FieldId < 0 && column.Name == "id")) && column.PhysicalType == PhysicalType.ByteArray)
            {
                return i;
            }
        }

        return -1;
    }

    private static void ReadSizes(ColumnReader column, Span<long?> into)
    {
        using (column)
        {
            if (column.ColumnDescriptor.MaxDefinitionLevel == 0)
            {
                using var r = column.LogicalReader<long>();
                var values = r.ReadAll(into.Length);
                for (int i = 0; i < values.Length; i++)
                {
                    into[i] = values[i];
                }
            }
            else
            {
                using var r = column.LogicalReader<long?>();
                r.ReadBatch(into);
            }
        }
    }

    private static int SizeColumn(SchemaDescriptor schema)
    {
        int fieldId = IndexColumns.All.First(c => c.Name == "size").FieldId;
        for (int i = 0; i < schema.NumColumns; i++)
        {
            var column = schema.Column(i);
            using var node = column.SchemaNode;
            if (node.FieldId == fieldId && column.PhysicalType == PhysicalType.Int64)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// The rows at <paramref name="positions"/> (ascending and distinct), in their order, each as
    /// the column arrays it was read into and its index in them; only the wanted rows are decoded,
    /// and no record is built. The path column is left null: the rows are read to be written under
    /// new paths (a directory move), which the caller holds; the other string columns are held as
    /// UTF-8 (<see cref="Utf8Strings"/>), as they are written back unchanged.
    /// </summary>
    public static (Array[] Columns, int Index)[] ReadRows(string localPath, int[] positions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(positions);
        var result = new (Array[], int)[positions.Length];
        int next = 0;
        foreach (var (columns, count) in IndexParquetReader.ReadColumnsAt(localPath, positions, cancellationToken, withPaths: false, utf8Strings: true))
        {
            for (int i = 0; i < count; i++)
            {
                result[next++] = (columns, i);
            }
        }

        return result;
    }

    private static int PathColumn(string localPath, SchemaDescriptor schema)
    {
        for (int i = 0; i < schema.NumColumns; i++)
        {
            var column = schema.Column(i);
            using var node = column.SchemaNode;
            if (node.FieldId == IcebergIndexStore.PathFieldId || (node.FieldId < 0 && column.Name == "path"))
            {
                return i;
            }
        }

        throw new IndexStoreException($"{localPath}: a data file without a path column");
    }
}
