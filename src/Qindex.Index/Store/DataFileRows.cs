using ParquetSharp;
using Qindex.Index.Import;
using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>Reads what the store needs from one local data file: its paths by position, or whole rows at chosen positions.</summary>
internal static class DataFileRows
{
    /// <summary>Every row's path, indexed by row position.</summary>
    public static string[] ReadPaths(string localPath)
    {
        using var reader = new ParquetFileReader(localPath);
        var metadata = reader.FileMetaData;
        int column = PathColumn(localPath, metadata.Schema);
        var result = new string[checked((int)metadata.NumRows)];
        int at = 0;
        for (int g = 0; g < metadata.NumRowGroups; g++)
        {
            using var rowGroup = reader.RowGroup(g);
            int rows = checked((int)rowGroup.MetaData.NumRows);
            using var r = rowGroup.Column(column).LogicalReader<string>();
            int read = r.ReadBatch(result.AsSpan(at, rows));
            if (read != rows)
            {
                throw new IndexStoreException($"{localPath}: row group {g} has {rows} rows but {read} paths");
            }

            at += rows;
        }

        return result;
    }

    /// <summary>The whole rows at <paramref name="positions"/> (ascending), keyed by position.</summary>
    public static async Task<Dictionary<int, FileRecord>> ReadRowsAsync(string localPath, IReadOnlyCollection<int> positions, CancellationToken cancellationToken)
    {
        var wanted = positions as IReadOnlySet<int> ?? positions.ToHashSet();
        var result = new Dictionary<int, FileRecord>(wanted.Count);
        if (wanted.Count == 0)
        {
            return result;
        }

        int at = 0;
        await IndexParquetReader.ReadAsync(
            localPath,
            null,
            batch =>
            {
                foreach (var row in batch)
                {
                    if (wanted.Contains(at))
                    {
                        result[at] = row;
                    }

                    at++;
                }

                return ValueTask.CompletedTask;
            },
            bad => throw new IndexStoreException($"{localPath}: row {bad} of a data file has no path"),
            cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static int PathColumn(string localPath, SchemaDescriptor schema)
    {
        for (int i = 0; i < schema.NumColumns; i++)
        {
            var column = schema.Column(i);
            if (column.SchemaNode.FieldId == IcebergIndexStore.PathFieldId || (column.SchemaNode.FieldId < 0 && column.Name == "path"))
            {
                return i;
            }
        }

        throw new IndexStoreException($"{localPath}: a data file without a path column");
    }
}
