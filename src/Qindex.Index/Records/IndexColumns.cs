namespace Qindex.Index.Records;

/// <summary>The physical kind of an index column, as Iceberg types it.</summary>
public enum ColumnKind
{
    /// <summary>Iceberg <c>string</c>.</summary>
    String,

    /// <summary>Iceberg <c>int</c>.</summary>
    Int32,

    /// <summary>Iceberg <c>long</c>.</summary>
    Int64,

    /// <summary>Iceberg <c>boolean</c>.</summary>
    Boolean,

    /// <summary>Iceberg <c>timestamptz</c> (microseconds, UTC).</summary>
    TimestampTz,
}

/// <summary>One column of the index: its Iceberg field id, name and kind.</summary>
public sealed record IndexColumn(int FieldId, string Name, ColumnKind Kind, bool Required = false);

/// <summary>
/// The index table's columns, in order. Field ids are permanent: a column may be added with a new
/// id, never renamed or renumbered, so tables written by an older qindex stay readable.
/// </summary>
public static class IndexColumns
{
    public static IReadOnlyList<IndexColumn> All { get; } =
    [
        new(1, "path", ColumnKind.String, Required: true),
        new(2, "name", ColumnKind.String),
        new(3, "num_links", ColumnKind.Int32),
        new(4, "type", ColumnKind.String),
        new(5, "major_minor_major", ColumnKind.Int32),
        new(6, "major_minor_minor", ColumnKind.Int32),
        new(7, "symlink_target_type", ColumnKind.String),
        new(8, "id", ColumnKind.String),
        new(9, "file_number", ColumnKind.String),
        new(10, "mode", ColumnKind.Int32),
        new(11, "owner", ColumnKind.Int64),
        new(12, "owner_id_type", ColumnKind.String),
        new(13, "owner_id_value", ColumnKind.String),
        new(14, "group", ColumnKind.Int64),
        new(15, "group_id_type", ColumnKind.String),
        new(16, "group_id_value", ColumnKind.String),
        new(17, "blocks", ColumnKind.Int64),
        new(18, "datablocks", ColumnKind.Int64),
        new(19, "metablocks", ColumnKind.Int64),
        new(20, "size", ColumnKind.Int64),
        new(21, "access_time", ColumnKind.TimestampTz),
        new(22, "modification_time", ColumnKind.TimestampTz),
        new(23, "change_time", ColumnKind.TimestampTz),
        new(24, "creation_time", ColumnKind.TimestampTz),
        new(25, "child_count", ColumnKind.Int32),
        new(26, "ea_read_only", ColumnKind.Boolean),
        new(27, "ea_hidden", ColumnKind.Boolean),
        new(28, "ea_system", ColumnKind.Boolean),
        new(29, "ea_archive", ColumnKind.Boolean),
        new(30, "ea_temporary", ColumnKind.Boolean),
        new(31, "ea_compressed", ColumnKind.Boolean),
        new(32, "ea_not_content_indexed", ColumnKind.Boolean),
        new(33, "ea_sparse_file", ColumnKind.Boolean),
        new(34, "ea_offline", ColumnKind.Boolean),
        new(35, "directory_entry_hash_policy", ColumnKind.String),
        new(36, "data_revision", ColumnKind.Int64),
        new(37, "user_metadata_revision", ColumnKind.Int64),
        new(38, "ingest_ts", ColumnKind.TimestampTz),
    ];
}
