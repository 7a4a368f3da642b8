namespace Qindex.Index.Import;

/// <summary>One input line or row that could not become a record, and why.</summary>
/// <param name="File">The source file.</param>
/// <param name="Line">1-based line number (NDJSON) or row number (Parquet).</param>
/// <param name="Reason">What was wrong, naming the field and value where known.</param>
public sealed record BadInput(string File, long Line, string Reason);

/// <summary>The outcome of an import: counts for the report, and the first bad inputs found.</summary>
public sealed record ImportResult(
    long RowsImported,
    long BadLines,
    IReadOnlyList<BadInput> FirstBadLines,
    long BytesRead,
    int FilesRead,
    TimeSpan Elapsed)
{
    /// <summary>Input throughput in MB (10^6 bytes) per second.</summary>
    public double MegabytesPerSecond => Elapsed.TotalSeconds > 0 ? BytesRead / 1e6 / Elapsed.TotalSeconds : 0;
}

/// <summary>Raised when an input cannot be read at all (unreadable Parquet, wrong column type); names the file and column.</summary>
public sealed class ImportSourceException : Exception
{
    public ImportSourceException(string message)
        : base(message)
    {
    }

    public ImportSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ImportSourceException()
        : base("the import source cannot be read")
    {
    }
}
