namespace Qindex.Index.Compaction;

/// <summary>When and how a compaction runs.</summary>
public sealed record CompactionOptions
{
    /// <summary>
    /// Data and delete files beyond the compacted minimum (one file per
    /// <see cref="Store.IcebergIndexStore.DefaultRunRows"/> rows) that trigger a compaction: the
    /// file count stays below the minimum plus this, however long changes go on.
    /// </summary>
    public int FileThreshold { get; init; } = 16;

    /// <summary>Compact even below the threshold whenever there is anything to fold or merge (the <c>qindex compact</c> command).</summary>
    public bool Force { get; init; }

    /// <summary>
    /// Share of deleted rows (position deletes against the table's rows) from which a due
    /// compaction rewrites every file; below it, only the files not yet full are merged and the
    /// delete files combined, which costs the recent changes rather than the table.
    /// </summary>
    public double MajorDeleteRatio { get; init; } = 0.1;

    /// <summary>Rows per output data file.</summary>
    public int RowsPerFile { get; init; } = Store.IcebergIndexStore.DefaultRunRows;
}

/// <summary>What a compaction did.</summary>
/// <param name="Compacted">False when nothing needed doing, or a concurrent commit invalidated it (then it runs again later).</param>
/// <param name="FilesRemoved">Data and delete files replaced.</param>
/// <param name="FilesAdded">Data files written.</param>
/// <param name="Rows">Live rows, all now in the written files.</param>
/// <param name="Reason">Why it did or did not run.</param>
public sealed record CompactionResult(bool Compacted, int FilesRemoved, int FilesAdded, long Rows, string Reason);
