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

    /// <summary>
    /// Renames the set names row by row (a file moved on its own): new path to old path, for the
    /// changes log. Rows a directory move carries say where they came from themselves
    /// (<see cref="PendingRow.MovedBy"/>).
    /// </summary>
    public Dictionary<string, string> MovedFrom { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Stored rows a directory move takes away from where they are, by position and the key of
    /// their old path: deleted there, never logged as deletes, and kept out of
    /// <see cref="Final"/> so that no string is made of their old paths (decision 0015).
    /// </summary>
    public List<(RowLocator At, UInt128 Key)> MovedAway { get; } = [];

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
    /// <summary>For a stored row a directory move carried: the region that moved it (its old path is the region's origin followed by what follows the target in the new path).</summary>
    public OverlayRegion? MovedBy { get; init; }

    /// <summary>With <see cref="MovedBy"/>: the key of the row's new path, hashed from its UTF-8 bytes when it was found.</summary>
    public UInt128 Key { get; init; }

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

/// <summary>
/// A changes-log row as the commit sees it. A row a directory move carried names its region
/// instead of its old path, which is made only when the log is written, in the background.
/// </summary>
internal readonly record struct PendingLogRow(string Kind, string Path, string? PreviousPath, OverlayRegion? MovedBy, long? SizeBefore, long? SizeAfter)
{
    /// <summary>The old path of a rename, made from <see cref="MovedBy"/> when it is set.</summary>
    public string? Previous => MovedBy is null ? PreviousPath : OverlayRegion.Previous(MovedBy, Path);
}

/// <summary>A committed change set's log rows, with the commit's time and snapshot.</summary>
internal sealed record PendingLog(DateTimeOffset Time, long SnapshotId, List<PendingLogRow> Rows)
{
    /// <summary>The rows as the changes table stores them.</summary>
    public List<ChangeLogRow> ToRows() => Rows.ConvertAll(r => new ChangeLogRow(Time, r.Kind, r.Path, r.Previous, r.SizeBefore, r.SizeAfter, SnapshotId));
}
