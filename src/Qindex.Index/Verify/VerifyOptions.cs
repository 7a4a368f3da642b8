namespace Qindex.Index.Verify;

/// <summary>What <see cref="IndexVerifier"/> compares: the cluster's tree under <see cref="RootPath"/> against the index's rows under it.</summary>
public sealed record VerifyOptions
{
    /// <summary>The cluster's host, recorded nowhere; for messages.</summary>
    public required string ClusterHost { get; init; }

    /// <summary>The directory to compare (absolute); the index rows compared are those whose path starts with it.</summary>
    public required string RootPath { get; init; }

    /// <summary>Walk a fresh snapshot (deleted afterwards) when the cluster allows it; false walks the live tree.</summary>
    public bool UseSnapshot { get; init; } = true;

    /// <summary>Leave <c>access_time</c> out of the comparison (a watch that does not follow atime).</summary>
    public bool IgnoreAccessTime { get; init; }

    /// <summary>Paths (and, for differences, columns) reported per kind of difference.</summary>
    public int ExamplesPerKind { get; init; } = 5;

    /// <summary>Directories listed at once by the walk.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Where the walk's sorted runs and DuckDB's spill files go (a new directory under the system's temporary directory when null); removed afterwards.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>DuckDB memory limit for each side's sort; beyond it the sort spills to <see cref="WorkDirectory"/>.</summary>
    public string SortMemoryLimit { get; init; } = "512MB";
}

/// <summary>One column whose value differs between the index and the cluster, both formatted as <c>qindex query</c> prints them.</summary>
public sealed record ColumnDifference(string Column, string IndexValue, string ClusterValue);

/// <summary>A path present on both sides whose row differs.</summary>
public sealed record RowDifference(string Path, IReadOnlyList<ColumnDifference> Columns);

/// <summary>
/// The outcome of a verify: rows on each side, rows missing from the index (on the cluster, not
/// indexed), extra rows (indexed, not on the cluster, duplicates included), rows that differ, the
/// first few of each, and how often each column differed.
/// </summary>
public sealed record VerifyReport(
    long ClusterRows,
    long IndexRows,
    long Missing,
    long Extra,
    long Different,
    IReadOnlyList<string> MissingExamples,
    IReadOnlyList<string> ExtraExamples,
    IReadOnlyList<RowDifference> DifferentExamples,
    IReadOnlyDictionary<string, long> DifferentColumns,
    IReadOnlyList<string> ComparedColumns,
    long? SnapshotId)
{
    /// <summary>The index equals the cluster, row for row, on the compared columns.</summary>
    public bool Equal => Missing == 0 && Extra == 0 && Different == 0;
}
