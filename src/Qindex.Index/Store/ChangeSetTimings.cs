namespace Qindex.Index.Store;

/// <summary>
/// Where the last change set's commit spent its time, in seconds: finding the rows it touches,
/// building the rows and position deletes, writing the two files, the Iceberg commit (manifests,
/// metadata, catalog), and bringing the in-memory picture forward. For benchmarks and logs.
/// </summary>
public sealed record ChangeSetTimings(double Resolve, double Prepare, double WriteFiles, double Commit, double Apply)
{
    /// <summary>Of <see cref="Resolve"/>: bringing the key index to the current snapshot.</summary>
    public double Live { get; init; }

    /// <summary>Subtree deletes and moves in the set.</summary>
    public int SubtreeChanges { get; init; }

    /// <summary>Data files whose paths were read to find rows under a prefix, and the seconds it took.</summary>
    public (int Files, long Paths, double Seconds) PathsRead { get; init; }

    /// <summary>Whole rows read for moves, and the seconds it took.</summary>
    public (long Rows, double Seconds) RowsRead { get; init; }
}

/// <summary>
/// The store's memory beyond the table: the data files' paths kept between change sets (bounded),
/// each live file's ids (8 bytes a row, once a hard link was looked up), and the key index's rows
/// (about 44 bytes a row with an eighth more room kept free).
/// </summary>
public sealed record StoreMemory(long PathsCacheBytes, long IdColumnBytes, int KeyIndexRows);
