using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Qindex.Index.Records;

namespace Qindex.Index.Tests;

/// <summary>Builds inputs shaped like the users' data: their ingest script's Parquet and the walker's NDJSON.</summary>
internal static class PipelineFixtures
{
    /// <summary>Paths that break naive SQL or CSV handling; each must round-trip exactly.</summary>
    public static readonly string[] OddPaths =
    [
        "/odd/it's a 'quote'",
        "/odd/double\"quote",
        "/odd/100%_done",
        "/odd/line\nbreak",
        "/odd/caf\u00e9/\u65e5\u672c\u8a9e",
        "/odd/emoji-free\ud83d\udcc1folder",
        "/odd/comma,semicolon;tab\tend",
        "/odd/back\\slash",
    ];

    /// <summary>
    /// Writes a Parquet file the way the users' pyarrow script does: its column names, int32 and
    /// int64 integers, strings, booleans, and TIMESTAMP(NANOS) without zone holding UTC.
    /// Row i has size i * 10, the top-level directory /dir{i % 5}, and odd paths at the end.
    /// </summary>
    public static async Task<int> WriteUsersParquetAsync(string file, int rows)
    {
        await using var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync();
        await Exec(connection, """
            CREATE TABLE t AS SELECT
              '/dir' || (i % 5) || '/sub' || (i % 7) || '/file' || i || '.dat' AS path,
              'file' || i || '.dat' AS name,
              1::INTEGER AS num_links,
              'FS_FILE_TYPE_FILE' AS type,
              NULL::INTEGER AS major_minor_major, NULL::INTEGER AS major_minor_minor,
              'FS_FILE_TYPE_UNKNOWN' AS symlink_target_type,
              CAST(1000 + i AS VARCHAR) AS id,
              CASE WHEN i % 3 = 0 THEN CAST(5000 + i AS VARCHAR) END AS file_number,
              CAST(420 AS INTEGER) AS mode,
              CAST(12884901888 + (i % 4) AS BIGINT) AS owner,
              'NFS_UID' AS owner_id_type, CAST(1000 + i % 4 AS VARCHAR) AS owner_id_value,
              CAST(17179869184 + (i % 2) AS BIGINT) AS "group",
              'NFS_GID' AS group_id_type, CAST(100 + i % 2 AS VARCHAR) AS group_id_value,
              CAST(i % 9 AS BIGINT) AS blocks, CAST(i % 8 AS BIGINT) AS datablocks, 1::BIGINT AS metablocks,
              CAST(i * 10 AS BIGINT) AS size,
              make_timestamp_ns(1700000000000000000 + i * 1000003007) AS access_time,
              CAST(make_timestamp(1690000000000000 + i * 7000001) AS TIMESTAMP_NS) AS modification_time,
              CAST(make_timestamp(1690000000000000 + i * 7000001) AS TIMESTAMP_NS) AS change_time,
              CAST(make_timestamp(1600000000000000 + i * 13) AS TIMESTAMP_NS) AS creation_time,
              0::INTEGER AS child_count,
              false AS ea_read_only, (i % 11 = 0) AS ea_hidden, false AS ea_system, (i % 2 = 0) AS ea_archive,
              false AS ea_temporary, false AS ea_compressed, false AS ea_not_content_indexed,
              (i % 13 = 0) AS ea_sparse_file, false AS ea_offline,
              NULL::VARCHAR AS directory_entry_hash_policy,
              CAST(i AS BIGINT) AS data_revision, 1::BIGINT AS user_metadata_revision,
              CAST(TIMESTAMP '2025-10-16 19:18:47.928643' AS TIMESTAMP_NS) AS ingest_ts
            FROM range(
            """ + (rows - OddPaths.Length) + ") r(i)");
        foreach (var odd in OddPaths)
        {
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO t (path, name, size, mode) VALUES ($1, $2, 7, 493)";
            insert.Parameters.Add(new DuckDBParameter(odd));
            insert.Parameters.Add(new DuckDBParameter(odd[(odd.LastIndexOf('/') + 1)..]));
            await insert.ExecuteNonQueryAsync();
        }

        await Exec(connection, $"COPY t TO '{file.Replace("'", "''", StringComparison.Ordinal)}' (FORMAT parquet, COMPRESSION zstd)");
        return rows;
    }

    private static async Task Exec(DuckDBConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public static string AttributeJson(string path, long size, string mtime = "2024-03-01T10:20:30.123456789Z") =>
        "{\"path\":" + System.Text.Json.JsonSerializer.Serialize(path) +
        ",\"name\":\"n\",\"num_links\":1,\"type\":\"FS_FILE_TYPE_FILE\",\"id\":\"5\",\"file_number\":\"5\",\"mode\":\"0644\"," +
        "\"owner\":\"12\",\"owner_details\":{\"id_type\":\"NFS_UID\",\"id_value\":\"12\"},\"size\":\"" + size +
        "\",\"modification_time\":\"" + mtime + "\",\"extended_attributes\":{\"hidden\":false}}";

    /// <summary>A row with every column set, each from <paramref name="i"/>, nulls among them.</summary>
    public static FileRecord FullRecord(string path, int i)
    {
        bool directory = path.EndsWith('/');
        DateTimeOffset At(int seconds) => new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero).AddSeconds(seconds).AddTicks(10 * i);
        string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
        return new()
        {
            Path = path,
            Name = Path.GetFileName(path.TrimEnd('/')),
            NumLinks = 1 + (i % 3),
            Type = directory ? "FS_FILE_TYPE_DIRECTORY" : "FS_FILE_TYPE_FILE",
            MajorMinorMajor = i % 4 == 0 ? null : i,
            MajorMinorMinor = i + 1,
            SymlinkTargetType = i % 2 == 0 ? null : "FS_FILE_TYPE_UNKNOWN",
            Id = i % 9 == 4 ? null : Text(1000 + i),
            FileNumber = i % 10 == 3 ? null : Text(2000 + i),
            Mode = 420 + i,
            Owner = 500 + i,
            OwnerIdType = "NFS_UID",
            OwnerIdValue = Text(500 + i),
            Group = i % 5 == 0 ? null : 600 + i,
            GroupIdType = "NFS_GID",
            GroupIdValue = Text(600 + i),
            Blocks = 3L * i,
            Datablocks = 2L * i,
            Metablocks = i,
            Size = 4096L * i,
            AccessTime = At(i),
            ModificationTime = At(2 * i),
            ChangeTime = i % 6 == 0 ? null : At(3 * i),
            CreationTime = At(-i),
            ChildCount = directory ? i : null,
            EaReadOnly = i % 2 == 0,
            EaHidden = i % 3 == 0,
            EaSystem = i % 7 == 0 ? null : false,
            EaArchive = true,
            EaTemporary = false,
            EaCompressed = i % 4 == 1,
            EaNotContentIndexed = false,
            EaSparseFile = i % 5 == 2,
            EaOffline = null,
            DirectoryEntryHashPolicy = directory ? "DIRECTORY_HASH_POLICY_FOLDED" : null,
            DataRevision = 7L * i,
            UserMetadataRevision = i % 8 == 0 ? null : 11L * i,
            IngestTs = At(100),
        };
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "qindex-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Every row of an index data file, in file order, read by qindex's own Parquet reader; a row it cannot read fails the test.</summary>
    public static async Task<List<FileRecord>> ReadRowsAsync(string file)
    {
        var rows = new List<FileRecord>();
        await Qindex.Index.Import.IndexParquetReader.ReadAsync(
            file,
            null,
            batch =>
            {
                rows.AddRange(batch);
                return ValueTask.CompletedTask;
            },
            bad => Assert.Fail($"row {bad.Line}: {bad.Reason}"),
            CancellationToken.None);
        return rows;
    }
}
