namespace Qindex.Iceberg.Spec;

/// <summary>What a file in a manifest holds (spec: <c>content</c> of <c>data_file</c>).</summary>
public enum FileContent
{
    /// <summary>Rows of the table.</summary>
    Data = 0,

    /// <summary>Position deletes: (file_path, pos) of rows that no longer exist.</summary>
    PositionDeletes = 1,

    /// <summary>Equality deletes (qindex never writes them; see DESIGN.md).</summary>
    EqualityDeletes = 2,
}
