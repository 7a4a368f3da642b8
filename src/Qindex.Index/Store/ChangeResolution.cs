using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>
/// What a change set comes to once its changes are applied in order against one snapshot: the
/// final row (or its absence) for every path it touches, and where renamed rows came from.
/// </summary>
internal sealed class ChangeResolution
{
    private readonly Dictionary<string, PendingRow> _final = new(StringComparer.Ordinal);

    /// <summary>The final state of every touched path: a row, or <see cref="PendingRow.Gone"/>.</summary>
    public IReadOnlyDictionary<string, PendingRow> Final => _final;

    /// <summary>Where resolving spent its reads (for <see cref="ChangeSetTimings"/>).</summary>
    public (int Files, long Paths, double Seconds) PathsRead { get; set; }

    /// <summary>Whole rows read for moves, and the seconds it took.</summary>
    public (long Rows, double Seconds) RowsRead { get; set; }

    /// <summary>Renames: new path to old path, for the changes log.</summary>
    public Dictionary<string, string> MovedFrom { get; } = new(StringComparer.Ordinal);

    /// <summary>Sets the final state of <paramref name="path"/>: a row, or null for gone.</summary>
    public void Set(string path, FileRecord? row) => _final[path] = row is null ? PendingRow.Gone : new PendingRow(row, null, 0, false);

    /// <summary>Sets the final state of <paramref name="path"/> to a stored row copied there.</summary>
    public void Set(string path, PendingRow row) => _final[path] = row;
}

/// <summary>
/// One path's row in a change set's result: a record built from the cluster's answer, or a row
/// already in the table, held as the column arrays it was read into (the shapes of
/// <see cref="FileRecordColumns"/>, in <see cref="IndexColumns.All"/> order) and its index in them.
/// A directory move copies hundreds of thousands of stored rows to new paths a batch; held this way
/// they are read and written column by column and never become records (decision 0014).
/// </summary>
/// <param name="Record">The row as a record, or null.</param>
/// <param name="Columns">The arrays a stored row sits in, or null.</param>
/// <param name="Index">The stored row's index in <paramref name="Columns"/>.</param>
/// <param name="Renamed">The stored row is the moved entry itself: its name becomes the last component of its new path.</param>
internal readonly record struct PendingRow(FileRecord? Record, Array[]? Columns, int Index, bool Renamed)
{
    private static readonly int SizeColumn = IndexColumns.All.Select(c => c.Name).ToList().IndexOf("size");

    /// <summary>No row: the path is gone.</summary>
    public static PendingRow Gone => default;

    /// <summary>Whether there is a row.</summary>
    public bool Exists => Record is not null || Columns is not null;

    /// <summary>The row's size, or null (no row, or no size).</summary>
    public long? Size => Record is not null ? Record.Size : Columns is not null ? ((long?[])Columns[SizeColumn])[Index] : null;

    /// <summary>A stored row: <paramref name="index"/> in <paramref name="columns"/>.</summary>
    public static PendingRow Stored(Array[] columns, int index, bool renamed) => new(null, columns, index, renamed);
}
