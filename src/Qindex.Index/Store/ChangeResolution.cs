using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>
/// What a change set comes to once its changes are applied in order against one snapshot: the
/// final row (or its absence) for every path it touches, and where renamed rows came from.
/// </summary>
internal sealed class ChangeResolution(MovedRows moved)
{
    private readonly Dictionary<string, PendingRow> _final = new(StringComparer.Ordinal);

    /// <summary>The final state of every touched path other than the moved rows' new paths: a row, or none.</summary>
    public IReadOnlyDictionary<string, PendingRow> Final => _final;

    /// <summary>Where resolving spent its reads (for <see cref="ChangeSetTimings"/>).</summary>
    public (int Files, long Paths, double Seconds) PathsRead { get; set; }

    /// <summary>Whole rows read for moves, and the seconds it took.</summary>
    public (long Rows, double Seconds) RowsRead { get; set; }

    /// <summary>
    /// Renames the set names row by row (a file moved on its own): new path to old path, for the
    /// changes log. Rows a directory move carries are in <see cref="Moved"/>.
    /// </summary>
    public Dictionary<string, string> MovedFrom { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Stored rows a directory move takes away from where they are (deleted there by position,
    /// never logged as deletes, their old paths never made into strings: decision 0015), and where
    /// they go: their new paths and values, column-wise (decision 0017).
    /// </summary>
    public MovedRows Moved { get; } = moved;

    /// <summary>Sets the final state of <paramref name="path"/>: a row, or null for gone.</summary>
    public void Set(string path, FileRecord? row) => _final[path] = new PendingRow(row);
}

/// <summary>One path's row in a change set's result: a record built from the cluster's answer, or none (the path is gone).</summary>
internal readonly record struct PendingRow(FileRecord? Record)
{
    /// <summary>Whether there is a row.</summary>
    public bool Exists => Record is not null;
}

/// <summary>A changes-log row as the commit sees it.</summary>
internal readonly record struct PendingLogRow(string Kind, string Path, string? PreviousPath, long? SizeBefore, long? SizeAfter);

/// <summary>
/// A committed change set's log rows, with the commit's time and snapshot; the rows its directory
/// moves carried are logged as renames from <paramref name="Moved"/> (the kept ones), their paths
/// written as UTF-8 when the log is, in the background.
/// </summary>
internal sealed record PendingLog(DateTimeOffset Time, long SnapshotId, List<PendingLogRow> Rows, MovedRows? Moved = null)
{
    /// <summary>Log rows in all.</summary>
    public int Count => Rows.Count + (Moved?.Kept ?? 0);

    /// <summary>The rows (not the moved ones) as the changes table stores them.</summary>
    public List<ChangeLogRow> ToRows() => Rows.ConvertAll(r => new ChangeLogRow(Time, r.Kind, r.Path, r.PreviousPath, r.SizeBefore, r.SizeAfter, SnapshotId));
}
