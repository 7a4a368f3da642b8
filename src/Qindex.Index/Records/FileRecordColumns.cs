namespace Qindex.Index.Records;

/// <summary>
/// Maps batches of <see cref="FileRecord"/> to column arrays in <see cref="IndexColumns.All"/>
/// order, the shape a columnar (Parquet) writer consumes, and back. Array element types by kind:
/// String <c>string?[]</c>, Int32 <c>int?[]</c>, Int64 <c>long?[]</c>, Boolean <c>bool?[]</c>,
/// TimestampTz <c>long?[]</c> of microseconds since the Unix epoch (UTC), as Iceberg stores them.
/// </summary>
public static class FileRecordColumns
{
    private static readonly long EpochTicks = DateTimeOffset.UnixEpoch.UtcTicks;

    /// <summary>Converts an instant to Iceberg's microseconds since the epoch (truncating).</summary>
    public static long ToMicros(DateTimeOffset value) => (value.UtcTicks - EpochTicks) / 10;

    /// <summary>Converts Iceberg's microseconds since the epoch to an instant in UTC.</summary>
    public static DateTimeOffset FromMicros(long micros) => new(EpochTicks + (micros * 10), TimeSpan.Zero);

    /// <summary>One array per column of <see cref="IndexColumns.All"/>, each as long as <paramref name="rows"/>.</summary>
    public static Array[] ToColumns(IReadOnlyList<FileRecord> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = IndexColumns.All;
        var result = new Array[columns.Count];
        for (var c = 0; c < columns.Count; c++)
        {
            result[c] = ToColumn(columns[c], rows);
        }

        return result;
    }

    /// <summary>The values of one column for <paramref name="rows"/> (see the type's remarks for element types).</summary>
    public static Array ToColumn(IndexColumn column, IReadOnlyList<FileRecord> rows)
    {
        ArgumentNullException.ThrowIfNull(column);
        ArgumentNullException.ThrowIfNull(rows);
        return column.Name switch
        {
            "path" => Map(rows, r => r.Path),
            "name" => Map(rows, r => r.Name),
            "num_links" => Map(rows, r => r.NumLinks),
            "type" => Map(rows, r => r.Type),
            "major_minor_major" => Map(rows, r => r.MajorMinorMajor),
            "major_minor_minor" => Map(rows, r => r.MajorMinorMinor),
            "symlink_target_type" => Map(rows, r => r.SymlinkTargetType),
            "id" => Map(rows, r => r.Id),
            "file_number" => Map(rows, r => r.FileNumber),
            "mode" => Map(rows, r => r.Mode),
            "owner" => Map(rows, r => r.Owner),
            "owner_id_type" => Map(rows, r => r.OwnerIdType),
            "owner_id_value" => Map(rows, r => r.OwnerIdValue),
            "group" => Map(rows, r => r.Group),
            "group_id_type" => Map(rows, r => r.GroupIdType),
            "group_id_value" => Map(rows, r => r.GroupIdValue),
            "blocks" => Map(rows, r => r.Blocks),
            "datablocks" => Map(rows, r => r.Datablocks),
            "metablocks" => Map(rows, r => r.Metablocks),
            "size" => Map(rows, r => r.Size),
            "access_time" => Micros(rows, r => r.AccessTime),
            "modification_time" => Micros(rows, r => r.ModificationTime),
            "change_time" => Micros(rows, r => r.ChangeTime),
            "creation_time" => Micros(rows, r => r.CreationTime),
            "child_count" => Map(rows, r => r.ChildCount),
            "ea_read_only" => Map(rows, r => r.EaReadOnly),
            "ea_hidden" => Map(rows, r => r.EaHidden),
            "ea_system" => Map(rows, r => r.EaSystem),
            "ea_archive" => Map(rows, r => r.EaArchive),
            "ea_temporary" => Map(rows, r => r.EaTemporary),
            "ea_compressed" => Map(rows, r => r.EaCompressed),
            "ea_not_content_indexed" => Map(rows, r => r.EaNotContentIndexed),
            "ea_sparse_file" => Map(rows, r => r.EaSparseFile),
            "ea_offline" => Map(rows, r => r.EaOffline),
            "directory_entry_hash_policy" => Map(rows, r => r.DirectoryEntryHashPolicy),
            "data_revision" => Map(rows, r => r.DataRevision),
            "user_metadata_revision" => Map(rows, r => r.UserMetadataRevision),
            "ingest_ts" => Micros(rows, r => r.IngestTs),
            _ => throw new ArgumentException($"unknown index column '{column.Name}'", nameof(column)),
        };
    }

    /// <summary>Rebuilds records from column arrays shaped as <see cref="ToColumns"/> produces them.</summary>
    /// <param name="columns">The arrays, in <see cref="IndexColumns.All"/> order.</param>
    /// <param name="rowCount">Rows to take from each array.</param>
    /// <param name="skipRowsWithoutPath">Leave out rows whose path is null or empty instead of failing.</param>
    public static FileRecord[] FromColumns(IReadOnlyList<Array> columns, int rowCount, bool skipRowsWithoutPath = false)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var all = IndexColumns.All;
        if (columns.Count != all.Count)
        {
            throw new ArgumentException($"expected {all.Count} columns, got {columns.Count}", nameof(columns));
        }

        T Get<T>(int c, int r) => ((T[])columns[c])[r];
        DateTimeOffset? Time(int c, int r) => Get<long?>(c, r) is { } m ? FromMicros(m) : null;

        var rows = new List<FileRecord>(rowCount);
        for (var r = 0; r < rowCount; r++)
        {
            var path = Get<string?>(0, r);
            if (string.IsNullOrEmpty(path))
            {
                if (skipRowsWithoutPath)
                {
                    continue;
                }

                throw new ArgumentException($"row {r} has no path", nameof(columns));
            }

            rows.Add(new FileRecord
            {
                Path = path,
                Name = Get<string?>(1, r),
                NumLinks = Get<int?>(2, r),
                Type = Get<string?>(3, r),
                MajorMinorMajor = Get<int?>(4, r),
                MajorMinorMinor = Get<int?>(5, r),
                SymlinkTargetType = Get<string?>(6, r),
                Id = Get<string?>(7, r),
                FileNumber = Get<string?>(8, r),
                Mode = Get<int?>(9, r),
                Owner = Get<long?>(10, r),
                OwnerIdType = Get<string?>(11, r),
                OwnerIdValue = Get<string?>(12, r),
                Group = Get<long?>(13, r),
                GroupIdType = Get<string?>(14, r),
                GroupIdValue = Get<string?>(15, r),
                Blocks = Get<long?>(16, r),
                Datablocks = Get<long?>(17, r),
                Metablocks = Get<long?>(18, r),
                Size = Get<long?>(19, r),
                AccessTime = Time(20, r),
                ModificationTime = Time(21, r),
                ChangeTime = Time(22, r),
                CreationTime = Time(23, r),
                ChildCount = Get<int?>(24, r),
                EaReadOnly = Get<bool?>(25, r),
                EaHidden = Get<bool?>(26, r),
                EaSystem = Get<bool?>(27, r),
                EaArchive = Get<bool?>(28, r),
                EaTemporary = Get<bool?>(29, r),
                EaCompressed = Get<bool?>(30, r),
                EaNotContentIndexed = Get<bool?>(31, r),
                EaSparseFile = Get<bool?>(32, r),
                EaOffline = Get<bool?>(33, r),
                DirectoryEntryHashPolicy = Get<string?>(34, r),
                DataRevision = Get<long?>(35, r),
                UserMetadataRevision = Get<long?>(36, r),
                IngestTs = Time(37, r),
            });
        }

        return rows.ToArray();
    }

    private static T[] Map<T>(IReadOnlyList<FileRecord> rows, Func<FileRecord, T> select)
    {
        var result = new T[rows.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = select(rows[i]);
        }

        return result;
    }

    private static long?[] Micros(IReadOnlyList<FileRecord> rows, Func<FileRecord, DateTimeOffset?> select)
    {
        var result = new long?[rows.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = select(rows[i]) is { } t ? ToMicros(t) : null;
        }

        return result;
    }
}
