using Qindex.Index.Query;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Export;

/// <summary>What an export wrote.</summary>
public sealed record ExportResult(long Rows, IReadOnlyList<string> Files, TimeSpan Elapsed);

/// <summary>
/// Writes the current state of the index as a Parquet dataset shaped like the users' old one (the
/// pyarrow ingest script's schema: the same column names, int32/int64/bool/string columns, times as
/// TIMESTAMP(NANOS) without time zone holding UTC), so <c>read_parquet('OUT/**/*.parquet')</c>
/// queries they already have run unchanged.
/// </summary>
public static class IndexExporter
{
    /// <summary>Target size of each written file; large datasets become several files.</summary>
    public const string FileSize = "256MB";

    /// <summary>Exports <paramref name="scan"/> into <paramref name="outDirectory"/>, which must be missing or empty.</summary>
    public static async Task<ExportResult> ExportAsync(IndexScan scan, string outDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scan);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var full = Path.GetFullPath(outDirectory);
        if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
        {
            throw new IOException($"{full}: export directory is not empty; choose a new or empty directory");
        }

        Directory.CreateDirectory(full);
        await using var engine = await QueryEngine.OpenAsync(scan, cancellationToken).ConfigureAwait(false);
        var columns = string.Join(", ", IndexColumns.All.Select(c => c.Kind == ColumnKind.TimestampTz
            ? $"CAST({QueryEngine.Ident(c.Name)} AS TIMESTAMP_NS) AS {QueryEngine.Ident(c.Name)}"
            : QueryEngine.Ident(c.Name)));
        var rows = Convert.ToInt64((await engine.QueryAsync("SELECT count(*) FROM files", cancellationToken).ConfigureAwait(false)).Rows[0][0], System.Globalization.CultureInfo.InvariantCulture);
        await engine.ExecuteAsync(
            $"COPY (SELECT {columns} FROM files) TO {QueryEngine.Literal(full)} " +
            $"(FORMAT parquet, COMPRESSION zstd, FILE_SIZE_BYTES '{FileSize}', FILENAME_PATTERN 'part-{{i}}', OVERWRITE_OR_IGNORE true)",
            cancellationToken).ConfigureAwait(false);
        var files = Directory.EnumerateFiles(full, "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        return new ExportResult(rows, files, started.Elapsed);
    }
}
