using System.Globalization;
using DuckDB.NET.Data;

namespace Qindex.Bench;

/// <summary>
/// Generates a dataset in the users' ingest-script schema (pyarrow: TIMESTAMP(NANOS) without zone,
/// int32/int64, strings, booleans), 250,000 rows per file as the script writes, with realistic
/// shapes: paths 3 to 8 levels deep under a few top-level shares, file names with extensions,
/// skewed sizes, a handful of owners. Cached by row count, since generating is not what is measured.
/// </summary>
internal static class ImportDataset
{
    public const int RowsPerFile = 250_000;

    public static string DefaultRoot => Path.Combine(Path.GetTempPath(), "qindex-bench");

    /// <summary>Returns the directory holding <paramref name="rows"/> rows, generating it if missing.</summary>
    /// <param name="rows">Rows in all.</param>
    /// <param name="root">Where datasets are cached.</param>
    /// <param name="cancellationToken">Stops the generation.</param>
    /// <param name="rowsPerFile">Rows per file (the ingest script's 250,000 unless a test of one large file asks otherwise).</param>
    public static async Task<string> EnsureAsync(long rows, string root, CancellationToken cancellationToken, long rowsPerFile = RowsPerFile)
    {
        var dir = Path.Combine(root, rowsPerFile == RowsPerFile
            ? string.Create(CultureInfo.InvariantCulture, $"users-{rows}")
            : string.Create(CultureInfo.InvariantCulture, $"users-{rows}-per-file-{rowsPerFile}"));
        var done = Path.Combine(dir, ".complete");
        if (File.Exists(done))
        {
            return dir;
        }

        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir);
        await using var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync(cancellationToken);
        for (long start = 0, part = 0; start < rows; start += rowsPerFile, part++)
        {
            var count = Math.Min(rowsPerFile, rows - start);
            var file = Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"part-{part:D5}.parquet"));
            await using var command = connection.CreateCommand();
            command.CommandText = string.Create(CultureInfo.InvariantCulture, $"""
                COPY (
                  WITH r AS (SELECT i, (hash(i) >> 1)::BIGINT AS h, (hash(i * 31 + 7) >> 1)::BIGINT AS h2 FROM range({start}, {start + count}) t(i))
                  SELECT
                    '/' || ['home', 'projects', 'scratch', 'archive', 'media', 'shared'][1 + h % 6]
                      || '/' || ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'][1 + (h >> 3) % 8]
                      || '/d' || ((h >> 6) % 100) || '/d' || ((h >> 13) % 50)
                      || repeat('/sub' || ((h >> 20) % 10), ((h >> 24) % 4)::INTEGER)
                      || '/' || ['IMG_', 'report_', 'data-', 'log.', 'model_', 'notes '][1 + (h2 % 6)] || i
                      || ['.jpg', '.pdf', '.csv', '.txt', '.bin', '.parquet', '.h5', ''][1 + ((h2 >> 3) % 8)] AS path,
                    ['IMG_', 'report_', 'data-', 'log.', 'model_', 'notes '][1 + (h2 % 6)] || i
                      || ['.jpg', '.pdf', '.csv', '.txt', '.bin', '.parquet', '.h5', ''][1 + ((h2 >> 3) % 8)] AS name,
                    1::INTEGER AS num_links,
                    CASE WHEN h2 % 20 = 0 THEN 'FS_FILE_TYPE_DIRECTORY' WHEN h2 % 97 = 0 THEN 'FS_FILE_TYPE_SYMLINK' ELSE 'FS_FILE_TYPE_FILE' END AS type,
                    NULL::INTEGER AS major_minor_major, NULL::INTEGER AS major_minor_minor,
                    'FS_FILE_TYPE_UNKNOWN' AS symlink_target_type,
                    CAST(100000000 + i AS VARCHAR) AS id,
                    NULL::VARCHAR AS file_number,
                    CASE WHEN h2 % 20 = 0 THEN 493 ELSE 420 END::INTEGER AS mode,
                    (12884901888 + (h % 40))::BIGINT AS owner, 'NFS_UID' AS owner_id_type, CAST(1000 + h % 40 AS VARCHAR) AS owner_id_value,
                    (17179869184 + (h % 6))::BIGINT AS "group", 'NFS_GID' AS group_id_type, CAST(100 + h % 6 AS VARCHAR) AS group_id_value,
                    ((h2 >> 10) % 100000)::BIGINT AS blocks, ((h2 >> 10) % 100000)::BIGINT AS datablocks, 1::BIGINT AS metablocks,
                    CASE WHEN h2 % 20 = 0 THEN 0 ELSE (exp(((h2 >> 17) % 2200) / 100.0))::BIGINT END AS size,
                    make_timestamp_ns(1600000000000000000 + ((h >> 5) % 150000000000000000)::BIGINT) AS access_time,
                    make_timestamp_ns(1500000000000000000 + ((h >> 7) % 200000000000000000)::BIGINT) AS modification_time,
                    make_timestamp_ns(1500000000000000000 + ((h >> 7) % 200000000000000000)::BIGINT + 1000) AS change_time,
                    make_timestamp_ns(1400000000000000000 + ((h >> 9) % 200000000000000000)::BIGINT) AS creation_time,
                    CASE WHEN h2 % 20 = 0 THEN (h % 300)::INTEGER ELSE 0 END AS child_count,
                    false AS ea_read_only, (h % 50 = 0) AS ea_hidden, false AS ea_system, (h % 3 = 0) AS ea_archive,
                    false AS ea_temporary, false AS ea_compressed, false AS ea_not_content_indexed,
                    (h % 70 = 0) AS ea_sparse_file, false AS ea_offline,
                    CASE WHEN h2 % 20 = 0 THEN 'FS_DIRECTORY_HASH_VERSION_FOLDED' END AS directory_entry_hash_policy,
                    (h2 % 1000)::BIGINT AS data_revision, (h % 10)::BIGINT AS user_metadata_revision,
                    make_timestamp_ns(1760642327928643896 + i) AS ingest_ts
                  FROM r
                ) TO '{file.Replace("'", "''", StringComparison.Ordinal)}' (FORMAT parquet, COMPRESSION zstd)
                """);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await File.WriteAllTextAsync(done, rows.ToString(CultureInfo.InvariantCulture), cancellationToken);
        return dir;
    }

    public static long SizeOf(string dir) =>
        Directory.EnumerateFiles(dir, "*.parquet", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    public static string Arg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
