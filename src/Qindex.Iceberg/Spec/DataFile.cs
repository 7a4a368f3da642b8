namespace Qindex.Iceberg.Spec;

/// <summary>
/// A data or delete file with its metrics (spec: the <c>data_file</c> struct of a manifest entry).
/// Bounds are in the spec's single-value binary serialization, keyed by field id.
/// </summary>
public sealed record DataFile
{
    public FileContent Content { get; init; } = FileContent.Data;

    public required string FilePath { get; init; }

    public string FileFormat { get; init; } = "PARQUET";

    public required long RecordCount { get; init; }

    public required long FileSizeInBytes { get; init; }

    public IReadOnlyDictionary<int, long>? ColumnSizes { get; init; }

    public IReadOnlyDictionary<int, long>? ValueCounts { get; init; }

    public IReadOnlyDictionary<int, long>? NullValueCounts { get; init; }

    public IReadOnlyDictionary<int, byte[]>? LowerBounds { get; init; }

    public IReadOnlyDictionary<int, byte[]>? UpperBounds { get; init; }

    public IReadOnlyList<long>? SplitOffsets { get; init; }

    public int? SortOrderId { get; init; }
}
