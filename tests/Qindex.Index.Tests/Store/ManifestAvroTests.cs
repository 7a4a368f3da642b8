using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;
using Qindex.Iceberg.IO;
using Qindex.Index.Compaction;
using Qindex.Index.Crawl;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Qindex.Simulator;
using Xunit.Abstractions;

namespace Qindex.Index.Tests.Store;

/// <summary>
/// The manifests qindex writes, read by Debian's python3-avro (an Avro implementation qindex did
/// not write) after a crawl of the simulator and a change set with awkward names: what it reads
/// must be a valid Iceberg v2 table holding exactly the index's rows. CI (.ci/run) installs
/// python3-avro and fails without it; elsewhere a missing package skips with the reason.
/// </summary>
public sealed class ManifestAvroTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dir = PipelineFixtures.TempDir();
    private SimulatorServer _server = null!;

    public async Task InitializeAsync() => _server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 150, Seed = 23 });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Field ids the Iceberg spec assigns in manifests and manifest lists.</summary>
    private static readonly Dictionary<string, int> EntryFieldIds = new() { ["status"] = 0, ["snapshot_id"] = 1, ["sequence_number"] = 3, ["file_sequence_number"] = 4, ["data_file"] = 2 };

    private static readonly Dictionary<string, int> DataFileFieldIds = new()
    {
        ["content"] = 134,
        ["file_path"] = 100,
        ["file_format"] = 101,
        ["partition"] = 102,
        ["record_count"] = 103,
        ["file_size_in_bytes"] = 104,
        ["column_sizes"] = 108,
        ["value_counts"] = 109,
        ["null_value_counts"] = 110,
        ["nan_value_counts"] = 137,
        ["lower_bounds"] = 125,
        ["upper_bounds"] = 128,
        ["key_metadata"] = 131,
        ["split_offsets"] = 132,
        ["equality_ids"] = 135,
        ["sort_order_id"] = 140,
        ["distinct_counts"] = 111,
        ["first_row_id"] = 142,
        ["referenced_data_file"] = 143,
        ["content_offset"] = 144,
        ["content_size_in_bytes"] = 145,
    };

    private static readonly Dictionary<string, int> ManifestFileFieldIds = new()
    {
        ["manifest_path"] = 500,
        ["manifest_length"] = 501,
        ["partition_spec_id"] = 502,
        ["content"] = 517,
        ["sequence_number"] = 515,
        ["min_sequence_number"] = 516,
        ["added_snapshot_id"] = 503,
        ["added_files_count"] = 504,
        ["existing_files_count"] = 505,
        ["deleted_files_count"] = 506,
        ["added_rows_count"] = 512,
        ["existing_rows_count"] = 513,
        ["deleted_rows_count"] = 514,
        ["partitions"] = 507,
        ["key_metadata"] = 519,
        ["first_row_id"] = 520,
    };

    private static void AssertFieldIds(JsonElement read, Dictionary<string, int> spec, string[] required, string what)
    {
        foreach (var name in required)
        {
            Assert.True(read.TryGetProperty(name, out _), $"{what} has no field {name}");
        }

        foreach (var field in read.EnumerateObject())
        {
            Assert.True(spec.TryGetValue(field.Name, out int id), $"{what} has a field {field.Name} the spec does not name");
            Assert.True(field.Value.ValueKind == JsonValueKind.Number, $"{what}.{field.Name} has no field-id attribute");
            Assert.Equal((field.Name, id), (field.Name, field.Value.GetInt32()));
        }
    }

    private static int Utf8Compare(string a, string b) => Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    private static async Task<List<string>> ParquetPathsAsync(string file)
    {
        await using var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT path FROM read_parquet(" + QueryEngine.Literal(file) + ")";
        var paths = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            paths.Add(reader.GetString(0));
        }

        return paths;
    }

    [Fact]
    public async Task Python3_avro_reads_the_manifests_of_a_crawled_and_changed_index_as_the_iceberg_spec_says()
    {
        string? missing = await PythonAvroReader.MissingAsync();
        if (missing is not null)
        {
            Assert.True(Environment.GetEnvironmentVariable("CI") is null, missing);
            output.WriteLine("not run outside CI (as the PostgreSQL tests without QINDEX_TEST_PG): " + missing);
            return;
        }

        // A quote and a percent sign in the index directory make table locations escaped URIs.
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(Path.Combine(_dir, "it's 100% index")), CancellationToken.None, runRows: 40);
        using var client = new QumuloClient(SimulatorCluster.ConnectionTo(_server));
        await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/", Concurrency = 2 }, store, null, CancellationToken.None);
        var expected = await ChangeSetTests.QueryAsync(store);
        Assert.True(expected.Count > 100, $"the crawl indexed only {expected.Count} rows");

        var files = expected.Keys.Where(p => !p.EndsWith('/')).Order(StringComparer.Ordinal).ToList();
        string moved = expected.Keys
            .Where(d => d.EndsWith('/') && d != "/")
            .Select(d => (Dir: d, Under: expected.Keys.Count(p => p.StartsWith(d, StringComparison.Ordinal))))
            .Where(d => d.Under > 1 && d.Under < expected.Count / 2)
            .OrderByDescending(d => d.Under).ThenBy(d => d.Dir, StringComparer.Ordinal)
            .First().Dir;
        var outside = files.Where(p => !p.StartsWith(moved, StringComparison.Ordinal)).ToList();
        const string Target = "/moved it's \"q\"\n50% caf\u00e9 \u65e5\u672c/";
        await using (var changes = store.BeginChanges())
        {
            changes.Upsert(ChangeSetTests.Row(outside[0], 12345));
            expected[outside[0]] = 12345;
            foreach (var gone in new[] { outside[1], outside[^1] })
            {
                changes.Delete(gone);
                expected.Remove(gone);
            }

            long size = 500;
            foreach (var odd in PipelineFixtures.OddPaths)
            {
                changes.Upsert(ChangeSetTests.Row("/added" + odd, size));
                expected["/added" + odd] = size++;
            }

            await changes.CommitAsync(null, new Dictionary<string, string> { ["position"] = "1" }, CancellationToken.None);
        }

        // A minor compaction merges the files not yet full and keeps the others: manifests then
        // carry EXISTING and DELETED entries, whose sequence numbers must be explicit.
        var compacted = await IndexCompactor.CompactAsync(store, new CompactionOptions { FileThreshold = 1, RowsPerFile = 40 }, CancellationToken.None);
        Assert.True(compacted.Compacted, compacted.Reason);

        await using (var changes = store.BeginChanges())
        {
            changes.Delete(outside[2]);
            expected.Remove(outside[2]);
            changes.MoveSubtree(moved, Target);
            foreach (var (path, value) in expected.Where(p => p.Key.StartsWith(moved, StringComparison.Ordinal)).ToList())
            {
                expected.Remove(path);
                expected[Target + path[moved.Length..]] = value;
            }

            await changes.CommitAsync(null, new Dictionary<string, string> { ["position"] = "2" }, CancellationToken.None);
        }

        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
        var indexStatus = await store.GetStatusAsync(CancellationToken.None);

        using var read = await PythonAvroReader.ReadManifestsAsync(store.Table.MetadataLocation);
        var root = read.RootElement;
        Assert.Equal(2, root.GetProperty("format_version").GetInt32());
        long tableSequence = root.GetProperty("sequence_number").GetInt64();
        long currentSnapshot = root.GetProperty("snapshot_id").GetInt64();
        AssertFieldIds(root.GetProperty("manifest_list_field_ids"), ManifestFileFieldIds,
            ["manifest_path", "manifest_length", "partition_spec_id", "content", "sequence_number", "min_sequence_number", "added_snapshot_id",
             "added_files_count", "existing_files_count", "deleted_files_count", "added_rows_count", "existing_rows_count", "deleted_rows_count"],
            "manifest_file");
        Assert.Equal("2", root.GetProperty("manifest_list_metadata").GetProperty("format-version").GetString());
        Assert.Equal(currentSnapshot.ToString(System.Globalization.CultureInfo.InvariantCulture), root.GetProperty("manifest_list_metadata").GetProperty("snapshot-id").GetString());

        var list = root.GetProperty("manifest_list").EnumerateArray().ToList();
        var manifests = root.GetProperty("manifests").EnumerateArray().ToList();
        Assert.Equal(list.Count, manifests.Count);
        Assert.Contains(list, m => m.GetProperty("content").GetInt32() == 0);
        Assert.Contains(list, m => m.GetProperty("content").GetInt32() == 1);

        var liveData = new List<JsonElement>();
        var liveDeletes = new List<JsonElement>();
        var statuses = new HashSet<int>();
        for (int i = 0; i < list.Count; i++)
        {
            var listed = list[i];
            var manifest = manifests[i];
            string where = listed.GetProperty("manifest_path").GetString()!;
            int content = listed.GetProperty("content").GetInt32();
            long sequence = listed.GetProperty("sequence_number").GetInt64();
            Assert.InRange(listed.GetProperty("min_sequence_number").GetInt64(), 1, sequence);
            Assert.InRange(sequence, 1, tableSequence);

            var meta = manifest.GetProperty("metadata");
            Assert.Equal("2", meta.GetProperty("format-version").GetString());
            Assert.Equal(content == 0 ? "data" : "deletes", meta.GetProperty("content").GetString());
            using (var schema = JsonDocument.Parse(meta.GetProperty("schema").GetString()!))
            {
                var path = schema.RootElement.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("id").GetInt32() == 1);
                Assert.Equal("path", path.GetProperty("name").GetString());
                Assert.Equal("string", path.GetProperty("type").GetString());
            }

            using (var spec = JsonDocument.Parse(meta.GetProperty("partition-spec").GetString()!))
            {
                Assert.Equal(JsonValueKind.Array, spec.RootElement.ValueKind);
            }

            AssertFieldIds(manifest.GetProperty("entry_field_ids"), EntryFieldIds, ["status", "snapshot_id", "sequence_number", "file_sequence_number", "data_file"], where);
            AssertFieldIds(manifest.GetProperty("data_file_field_ids"), DataFileFieldIds,
                ["content", "file_path", "file_format", "partition", "record_count", "file_size_in_bytes", "lower_bounds", "upper_bounds"], where + " data_file");

            var entries = manifest.GetProperty("entries").EnumerateArray().ToList();
            var byStatus = entries.ToLookup(e => e.GetProperty("status").GetInt32());
            Assert.Equal(listed.GetProperty("existing_files_count").GetInt32(), byStatus[0].Count());
            Assert.Equal(listed.GetProperty("added_files_count").GetInt32(), byStatus[1].Count());
            Assert.Equal(listed.GetProperty("deleted_files_count").GetInt32(), byStatus[2].Count());
            Assert.Equal(listed.GetProperty("existing_rows_count").GetInt64(), byStatus[0].Sum(e => e.GetProperty("record_count").GetInt64()));
            Assert.Equal(listed.GetProperty("added_rows_count").GetInt64(), byStatus[1].Sum(e => e.GetProperty("record_count").GetInt64()));
            Assert.Equal(listed.GetProperty("deleted_rows_count").GetInt64(), byStatus[2].Sum(e => e.GetProperty("record_count").GetInt64()));
            var liveSequences = byStatus[0].Concat(byStatus[1]).Select(e => e.GetProperty("sequence_number")).Select(n => n.ValueKind == JsonValueKind.Null ? sequence : n.GetInt64()).ToList();
            if (liveSequences.Count > 0)
            {
                Assert.Equal(liveSequences.Min(), listed.GetProperty("min_sequence_number").GetInt64());
            }

            foreach (var entry in entries)
            {
                int status = entry.GetProperty("status").GetInt32();
                statuses.Add(status);
                Assert.Equal(content == 0 ? 0 : 1, entry.GetProperty("content").GetInt32());
                Assert.Equal("PARQUET", entry.GetProperty("file_format").GetString());
                var seq = entry.GetProperty("sequence_number");
                var fileSeq = entry.GetProperty("file_sequence_number");
                if (status == 1)
                {
                    // ADDED entries may inherit from the manifest; written values must agree with it.
                    Assert.True(seq.ValueKind == JsonValueKind.Null || seq.GetInt64() == sequence, $"{where}: an ADDED entry's sequence number {seq} is not the manifest's {sequence}");
                }
                else
                {
                    Assert.True(seq.ValueKind == JsonValueKind.Number, $"{where}: an entry with status {status} has no explicit sequence_number");
                    Assert.True(fileSeq.ValueKind == JsonValueKind.Number, $"{where}: an entry with status {status} has no explicit file_sequence_number");
                    Assert.InRange(fileSeq.GetInt64(), 1, seq.GetInt64());
                    Assert.InRange(seq.GetInt64(), 1, sequence);
                    Assert.Equal(JsonValueKind.Number, entry.GetProperty("snapshot_id").ValueKind);
                }

                if (status != 2)
                {
                    (content == 0 ? liveData : liveDeletes).Add(entry);
                }
            }
        }

        // What python3-avro reads is what the table holds: its live files, their rows.
        Assert.Equal(indexStatus.DataFiles, liveData.Count);
        Assert.Equal(indexStatus.DeleteFiles, liveDeletes.Count);
        Assert.True(liveDeletes.Count > 0, "the change set left no position-delete file");
        var live = await store.Table.LiveEntriesAsync(CancellationToken.None);
        Assert.Equal(
            live.Select(e => e.DataFile.FilePath).Order(StringComparer.Ordinal),
            liveData.Concat(liveDeletes).Select(e => e.GetProperty("file_path").GetString()!).Order(StringComparer.Ordinal));
        long dataRows = liveData.Sum(e => e.GetProperty("record_count").GetInt64());
        long deletedRows = liveDeletes.Sum(e => e.GetProperty("record_count").GetInt64());
        Assert.Equal(expected.Count, dataRows - deletedRows);
        Assert.Equal(indexStatus.Rows, dataRows - deletedRows);
        // The compaction kept the full crawl files (EXISTING, still at the crawl's sequence number)
        // and removed the others (DELETED), so both kinds were read and checked above.
        Assert.Equal([0, 1, 2], statuses.Order());
        Assert.Contains(manifests.SelectMany(m => m.GetProperty("entries").EnumerateArray()), e => e.GetProperty("status").GetInt32() == 0 && e.GetProperty("sequence_number").GetInt64() == 1);

        // Each data file's path bounds hold every path it stores (UTF-8 byte order, as Iceberg compares).
        var allPaths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in liveData)
        {
            string file = entry.GetProperty("file_path").GetString()!;
            var paths = await ParquetPathsAsync(LocalFileIO.ToPath(file));
            Assert.Equal(entry.GetProperty("record_count").GetInt64(), paths.Count);
            string lower = entry.GetProperty("lower_path").GetString() ?? throw new InvalidOperationException(file + " has no lower bound for path");
            var upper = entry.GetProperty("upper_path");
            foreach (var path in paths)
            {
                Assert.True(Utf8Compare(lower, path) <= 0, $"{file}: lower bound {lower} is above {path}");
                Assert.True(upper.ValueKind == JsonValueKind.Null || Utf8Compare(path, upper.GetString()!) <= 0, $"{file}: upper bound {upper} is below {path}");
                allPaths.Add(path);
            }
        }

        Assert.Contains(Target, allPaths);
        Assert.Contains("/added/odd/line\nbreak", allPaths);
    }
}
