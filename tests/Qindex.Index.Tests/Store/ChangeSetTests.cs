using System.Globalization;
using Qindex.Index.Query;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>
/// Row-level change sets on the Iceberg store: each commit is one snapshot with its checkpoint, and
/// what it leaves is what DuckDB (through <c>qindex query</c>'s view), icebird and hyparquet read.
/// </summary>
public sealed class ChangeSetTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static FileRecord Row(string path, long size) => new()
    {
        Path = path,
        Size = size,
        Name = Path.GetFileName(path.TrimEnd('/')),
        Type = path.EndsWith('/') ? "FS_FILE_TYPE_DIRECTORY" : "FS_FILE_TYPE_FILE",
        ModificationTime = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddSeconds(size),
    };

    /// <summary>The starting tree: odd names included, every path with size = its number.</summary>
    internal static Dictionary<string, long> Tree()
    {
        var tree = new Dictionary<string, long>(StringComparer.Ordinal) { ["/"] = 0, ["/a/"] = 1, ["/a/b/"] = 2, ["/c/"] = 3 };
        for (int i = 0; i < 40; i++)
        {
            tree[$"/a/f{i:D2}"] = 100 + i;
            tree[$"/a/b/g{i:D2}"] = 200 + i;
            tree[$"/c/h{i:D2}"] = 300 + i;
        }

        long n = 400;
        foreach (var odd in PipelineFixtures.OddPaths)
        {
            tree["/a/b" + odd] = n++;
        }

        tree["/a/b/odd/"] = n++;
        return tree;
    }

    internal static async Task ReplaceAsync(IIndexStore store, IReadOnlyDictionary<string, long> tree)
    {
        await using var writer = store.BeginReplace();
        foreach (var (path, size) in tree)
        {
            await writer.AddAsync(Row(path, size), CancellationToken.None);
        }

        await writer.CommitAsync(new IndexBaseline("cluster", "/", "7", DateTimeOffset.UnixEpoch), CancellationToken.None);
    }

    internal static async Task<Dictionary<string, long>> QueryAsync(IIndexStore store)
    {
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var result = await engine.QueryAsync("SELECT path, size, name FROM files", CancellationToken.None);
        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var row in result.Rows)
        {
            Assert.True(rows.TryAdd((string)row[0]!, Convert.ToInt64(row[1], CultureInfo.InvariantCulture)), $"path {row[0]} appears twice");
        }

        return rows;
    }

    private static void Move(Dictionary<string, long> tree, string from, string to)
    {
        foreach (var path in tree.Keys.Where(p => p.StartsWith(to, StringComparison.Ordinal)).ToList())
        {
            tree.Remove(path);
        }

        foreach (var (path, size) in tree.Where(p => p.Key.StartsWith(from, StringComparison.Ordinal)).ToList())
        {
            tree.Remove(path);
            tree[to + path[from.Length..]] = size;
        }
    }

    [Fact]
    public async Task Upserts_deletes_subtree_deletes_and_moves_commit_as_one_snapshot_with_the_checkpoint()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = Tree();
        await ReplaceAsync(store, expected);
        int snapshots = (await store.GetStatusAsync(CancellationToken.None)).Snapshots;

        await using (var changes = store.BeginChanges())
        {
            changes.Upsert(Row("/a/f03", 9003));                   // update
            changes.Upsert(Row("/a/new 'one'\n%", 9100));          // insert, odd name
            changes.Delete("/c/h05");                              // delete
            changes.Delete("/c/none");                             // delete of nothing
            changes.Upsert(Row("/c/h06", 9006));
            changes.Delete("/c/h06");                              // a later change wins
            changes.DeleteSubtree("/a/b/odd/");                    // odd names under it
            changes.Upsert(Row("/a/b/g07", 9007));                 // changed, then moved with its subtree
            changes.MoveSubtree("/a/b/", "/c/moved/");
            Assert.Equal(9, changes.Count);
            var result = await changes.CommitAsync(null, new Dictionary<string, string> { ["position"] = "17", ["stream"] = "a\"b" }, CancellationToken.None);
            Assert.NotEqual(0, result.SnapshotId);
        }

        expected["/a/f03"] = 9003;
        expected["/a/new 'one'\n%"] = 9100;
        expected.Remove("/c/h05");
        expected.Remove("/c/h06");
        foreach (var path in expected.Keys.Where(p => p.StartsWith("/a/b/odd/", StringComparison.Ordinal)).ToList())
        {
            expected.Remove(path);
        }

        expected["/a/b/g07"] = 9007;
        Move(expected, "/a/b/", "/c/moved/");
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));

        var status = await store.GetStatusAsync(CancellationToken.None);
        Assert.Equal(snapshots + 1, status.Snapshots);
        Assert.Equal(expected.Count, status.Rows);
        Assert.Equal(1, status.DeleteFiles);
        Assert.Equal("17", status.Checkpoint["position"]);
        Assert.Equal("a\"b", status.Checkpoint["stream"]);
        Assert.Equal("cluster", status.Baseline?.ClusterHost); // carried forward from the crawl

        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var moved = await engine.QueryAsync("SELECT name FROM files WHERE path = '/c/moved/'", CancellationToken.None);
        Assert.Equal("moved", moved.Rows.Single()[0]);
    }

    [Fact]
    public async Task A_move_copies_every_column_of_its_rows_beside_the_batchs_own_records()
    {
        // Moved rows are copied column by column from the arrays they were read into, and the
        // batch's records are turned into arrays beside them: a column taken from the wrong array
        // or the wrong row shows here.
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None);
        var before = new List<FileRecord> { PipelineFixtures.FullRecord("/", 0), PipelineFixtures.FullRecord("/a/", 1), PipelineFixtures.FullRecord("/b/", 2) };
        before.AddRange(Enumerable.Range(3, 120).Select(i => PipelineFixtures.FullRecord($"/a/f{i:D3}", i)));
        before.AddRange(PipelineFixtures.OddPaths.Select((odd, i) => PipelineFixtures.FullRecord("/a" + odd, 200 + i)));
        await using (var writer = store.BeginReplace())
        {
            foreach (var row in before)
            {
                await writer.AddAsync(row, CancellationToken.None);
            }

            await writer.CommitAsync(new IndexBaseline("cluster", "/", "7", DateTimeOffset.UnixEpoch), CancellationToken.None);
        }

        var filesBefore = (await store.ScanAsync(CancellationToken.None)).DataFiles.ToHashSet(StringComparer.Ordinal);
        await using (var changes = store.BeginChanges())
        {
            changes.MoveSubtree("/a/", "/b/\u00e9t\u00e9 'x'/");
            changes.Upsert(PipelineFixtures.FullRecord("/b/new", 500));
            changes.Upsert(PipelineFixtures.FullRecord("/b/\u00e9t\u00e9 'x'/f010", 501));
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        var expected = new Dictionary<string, FileRecord>(StringComparer.Ordinal);
        foreach (var row in before.Where(r => r.Path.StartsWith("/a/", StringComparison.Ordinal)))
        {
            var path = "/b/\u00e9t\u00e9 'x'/" + row.Path["/a/".Length..];
            expected[path] = row.Path == "/a/" ? row with { Path = path, Name = "\u00e9t\u00e9 'x'" } : row with { Path = path };
        }

        expected["/b/new"] = PipelineFixtures.FullRecord("/b/new", 500);
        expected["/b/\u00e9t\u00e9 'x'/f010"] = PipelineFixtures.FullRecord("/b/\u00e9t\u00e9 'x'/f010", 501);
        var written = (await store.ScanAsync(CancellationToken.None)).DataFiles.Where(f => !filesBefore.Contains(f)).ToList();
        var file = Assert.Single(written);
        var rows = await PipelineFixtures.ReadRowsAsync(file);
        Assert.Equal(expected.Keys.Order(PathOrder.Instance), rows.Select(r => r.Path));
        foreach (var row in rows)
        {
            Assert.Equal(expected[row.Path], row);
        }
    }

    [Fact]
    public async Task Rows_a_move_carries_and_the_set_writes_again_are_deleted_once_and_logged_as_renames()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = Tree();
        await ReplaceAsync(store, expected);
        int under = expected.Keys.Count(p => p.StartsWith("/a/b/", StringComparison.Ordinal));

        // What the watcher sends for a directory renamed while files in it change.
        const string to = "/d/\u00e9 'x'/";
        await using (var changes = store.BeginChanges())
        {
            changes.MoveSubtree("/a/b/", to);
            changes.Upsert(Row("/a/b/g01", 7001));   // a new file where a moved one was
            changes.Upsert(Row(to, 7000));           // the moved directory refreshed
            changes.Upsert(Row(to + "g02", 7002));   // a moved file refreshed at its new path
            changes.Upsert(Row(to + "new", 7003));   // a file made in the moved directory
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        Move(expected, "/a/b/", to);
        expected["/a/b/g01"] = 7001;
        expected[to] = 7000;
        expected[to + "g02"] = 7002;
        expected[to + "new"] = 7003;
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));

        // Every row that left /a/b/ is deleted once, though /a/b/g01 is written again.
        var scan = await store.ScanAsync(CancellationToken.None);
        using (var reader = new ParquetSharp.ParquetFileReader(Assert.Single(scan.PositionDeleteFiles)))
        {
            Assert.Equal(under, reader.FileMetaData.NumRows);
        }

        await store.FlushChangesLogAsync();
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var log = (await engine.QueryAsync("SELECT kind, path, previous_path, size_before, size_after FROM changes", CancellationToken.None)).Rows
            .ToDictionary(r => (string)r[1]!, r => ((string)r[0]!, (string?)r[2], (long?)r[3], (long?)r[4]), StringComparer.Ordinal);

        // A rename for every row that was under /a/b/, refreshed or not; an update where a moved
        // file was; an insert for the new file. Nothing is logged as deleted.
        Assert.Equal(under + 2, log.Count);
        Assert.Equal(("rename", "/a/b/", 2L, 7000L), log[to]);
        Assert.Equal(("rename", "/a/b/g02", 202L, 7002L), log[to + "g02"]);
        Assert.Equal(("rename", "/a/b/g03", 203L, 203L), log[to + "g03"]);
        Assert.Equal(("rename", "/a/b" + PipelineFixtures.OddPaths[0]), (log["/d/\u00e9 'x'" + PipelineFixtures.OddPaths[0]].Item1, log["/d/\u00e9 'x'" + PipelineFixtures.OddPaths[0]].Item2));
        Assert.Equal(("update", null as string, 201L, 7001L), log["/a/b/g01"]);
        Assert.Equal(("insert", null as string, null as long?, 7003L), log[to + "new"]);
    }

    [Fact]
    public async Task A_directory_moved_onto_one_the_table_had_replaces_its_rows_and_logs_renames_not_deletes_where_they_meet()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = Tree();

        // /e/ holds some of the names /a/b/ holds, and some of its own.
        for (int i = 0; i < 10; i++)
        {
            expected[$"/e/g{i:D2}"] = 500 + i;
            expected[$"/e/only{i}"] = 600 + i;
        }

        expected["/e/"] = 499;
        await ReplaceAsync(store, expected);
        int under = expected.Keys.Count(p => p.StartsWith("/a/b/", StringComparison.Ordinal));
        await using (var changes = store.BeginChanges())
        {
            changes.MoveSubtree("/a/b/", "/e/");
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        Move(expected, "/a/b/", "/e/");
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));

        await store.FlushChangesLogAsync();
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var log = (await engine.QueryAsync("SELECT kind, path, previous_path, size_before, size_after FROM changes", CancellationToken.None)).Rows
            .Select(r => ((string)r[0]!, (string)r[1]!, (string?)r[2], (long?)r[3], (long?)r[4]))
            .ToList();

        // Where a moved row lands on a row /e/ had, the log says rename (the row there is
        // replaced); the rows of /e/ nothing lands on are deleted.
        Assert.Equal(under, log.Count(r => r.Item1 == "rename"));
        Assert.Contains(("rename", "/e/g03", "/a/b/g03", 203L, 203L), log);
        Assert.Contains(("rename", "/e/", "/a/b/", 2L, 2L), log);
        Assert.Contains(("rename", "/e" + PipelineFixtures.OddPaths[3], "/a/b" + PipelineFixtures.OddPaths[3], (long?)expected["/e" + PipelineFixtures.OddPaths[3]], (long?)expected["/e" + PipelineFixtures.OddPaths[3]]), log);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"/e/only{i}").Order(StringComparer.Ordinal), log.Where(r => r.Item1 == "delete").Select(r => r.Item2).Order(StringComparer.Ordinal));
        Assert.Equal(under + 10, log.Count);
    }

    [Fact]
    public async Task A_move_whose_paths_outgrow_a_chunk_is_held_in_chunks_and_written_as_one_file_a_part()
    {
        // A rename of a directory holding tens of millions of rows carries more than the largest
        // array of paths (it was refused). Chunks of 512 bytes show the same on a small table: the
        // moved paths span chunks, the rows go to several files, each sorted and after the one
        // before, and the key index, the paths cache and the log find every row where it went.
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        store.PathChunkBytes = 512;
        var expected = Tree();
        await ReplaceAsync(store, expected);
        var filesBefore = (await store.ScanAsync(CancellationToken.None)).DataFiles.ToHashSet(StringComparer.Ordinal);
        const string to = "/big \u00e9 'x' %41\n/";
        int under = expected.Keys.Count(p => p.StartsWith("/a/", StringComparison.Ordinal));
        await using (var changes = store.BeginChanges())
        {
            changes.MoveSubtree("/a/", to);
            changes.Upsert(Row("/c/new", 9_000));
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        await store.FlushChangesLogAsync();
        Move(expected, "/a/", to);
        expected["/c/new"] = 9_000;
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));

        var written = (await store.ScanAsync(CancellationToken.None)).DataFiles.Where(f => !filesBefore.Contains(f)).Order(StringComparer.Ordinal).ToList();
        var paths = new List<List<string>>();
        foreach (var file in written)
        {
            var rows = (await PipelineFixtures.ReadRowsAsync(file)).Select(r => r.Path).ToList();
            Assert.InRange(rows.Sum(r => System.Text.Encoding.UTF8.GetByteCount(r)), 1, 512);
            paths.Add(rows);
        }

        Assert.True(written.Count > 4, $"{written.Count} files written");
        var ordered = paths.OrderBy(p => p[0], PathOrder.Instance).SelectMany(p => p).ToList();
        var setRows = expected.Keys.Where(p => p.StartsWith(to, StringComparison.Ordinal) || p == "/c/new").Order(PathOrder.Instance).ToList();
        Assert.Equal(setRows, ordered);

        // A second move inside the first finds its rows in the parts (by the key index and the
        // cached paths), and the log holds one rename a row of each move.
        await using (var changes = store.BeginChanges())
        {
            changes.MoveSubtree(to + "b/", "/again/");
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        await store.FlushChangesLogAsync();
        int secondUnder = expected.Keys.Count(p => p.StartsWith(to + "b/", StringComparison.Ordinal));
        Move(expected, to + "b/", "/again/");
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var log = (await engine.QueryAsync("SELECT path, previous_path FROM changes WHERE kind = 'rename'", CancellationToken.None)).Rows
            .Select(r => ((string)r[0]!, (string)r[1]!))
            .ToList();
        Assert.Equal(under + secondUnder, log.Count);
        Assert.Contains((to + "f39", "/a/f39"), log);
        Assert.Contains(("/again" + PipelineFixtures.OddPaths[3], to + "b" + PipelineFixtures.OddPaths[3]), log);
    }

    [Fact]
    public async Task Consecutive_moves_log_and_write_only_their_own_rows_though_the_second_reuses_the_firsts_buffers()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = Tree();
        await ReplaceAsync(store, expected);
        var moves = new (string From, string To)[] { ("/a/", "/big \u00e9/"), ("/c/", "/small/"), ("/big \u00e9/b/odd/", "/o/") };
        int logged = 0;
        foreach (var (from, to) in moves)
        {
            int under = expected.Keys.Count(p => p.StartsWith(from, StringComparison.Ordinal));
            logged += under;
            await using (var changes = store.BeginChanges())
            {
                changes.MoveSubtree(from, to);
                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }

            // The log is written before the next set resolves, so that set takes the buffers back.
            await store.FlushChangesLogAsync();
            Move(expected, from, to);
            Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
        }

        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var log = (await engine.QueryAsync("SELECT kind, path, previous_path FROM changes", CancellationToken.None)).Rows
            .Select(r => ((string)r[0]!, (string)r[1]!, (string)r[2]!))
            .ToList();
        Assert.Equal(logged, log.Count);
        Assert.All(log, r => Assert.Equal("rename", r.Item1));
        Assert.Equal(log.Count, log.Distinct().Count());

        // Each move's rows, named by the move: its old path is the origin followed by what follows the target.
        foreach (var (from, to) in moves)
        {
            var mine = log.Where(r => r.Item3.StartsWith(from, StringComparison.Ordinal) && r.Item2.StartsWith(to, StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(mine);
            Assert.All(mine, r => Assert.Equal(r.Item3[from.Length..], r.Item2[to.Length..]));
        }

        Assert.Contains(("rename", "/o/" + PipelineFixtures.OddPaths[3]["/odd/".Length..], "/big \u00e9/b" + PipelineFixtures.OddPaths[3]), log);
        Assert.Contains(("rename", "/small/h39", "/c/h39"), log);
    }

    [Fact]
    public async Task A_move_after_a_compaction_finds_its_rows_in_the_compacted_files_without_reading_their_paths_back()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = Tree();
        await ReplaceAsync(store, expected);
        await using (var changes = store.BeginChanges())
        {
            changes.MoveSubtree("/c/", "/d/");
            changes.Delete("/a/f00");
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        Move(expected, "/c/", "/d/");
        expected.Remove("/a/f00");
        var compacted = await Qindex.Index.Compaction.IndexCompactor.CompactAsync(
            store, new Qindex.Index.Compaction.CompactionOptions { Force = true, RowsPerFile = 30 }, CancellationToken.None);
        Assert.True(compacted.Compacted, compacted.Reason);
        Assert.True(compacted.FilesAdded > 1);

        // Every live file is now one the compaction wrote: the move searches them with the paths
        // they were written from (odd names included), so none is read back.
        await using (var changes = store.BeginChanges())
        {
            changes.MoveSubtree("/a/b/", "/~moved/");
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        Assert.Equal(0, store.LastChangeTimings!.PathsRead.Files);
        Move(expected, "/a/b/", "/~moved/");
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void A_merges_paths_are_kept_per_file_as_UTF8_up_to_a_budget_and_the_file_it_stops_in_is_dropped()
    {
        string[] paths = ["/a", "/b \u00e9", "/c\n\"%", "/d \ud83d\ude00", "/e", "/f"];
        var unbounded = new MergedPaths(1 << 20);
        for (int i = 0; i < paths.Length; i++)
        {
            unbounded.Add(i / 3, paths[i]);
        }

        for (int file = 0; file < 2; file++)
        {
            var (utf8, ends) = unbounded.Of(file)!.Value;
            var read = new IcebergIndexStore.FilePaths("x", (utf8, ends));
            Assert.Equal(paths[(file * 3)..((file * 3) + 3)], Enumerable.Range(0, read.Count).Select(read.PathAt));
        }

        Assert.Null(unbounded.Of(2));

        // A budget a little above the first file's bytes (its paths and an offset each): the second
        // file's first path crosses it, so only the first file is kept.
        long first = paths.Take(3).Sum(p => System.Text.Encoding.UTF8.GetByteCount(p) + 4);
        var bounded = new MergedPaths(first + 8);
        for (int i = 0; i < paths.Length; i++)
        {
            bounded.Add(i / 3, paths[i]);
        }

        Assert.Equal(3, bounded.Of(0)!.Value.Ends.Length);
        Assert.Null(bounded.Of(1));
    }

    [Fact]
    public async Task A_move_of_rows_the_set_before_wrote_finds_them_without_reading_that_files_paths_back()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = Tree();
        await ReplaceAsync(store, expected);

        // The first move reads the crawled files' paths; its rows land in a file of its own, the
        // only one whose bounds can hold "/~" (it sorts after every crawled path).
        await using (var changes = store.BeginChanges())
        {
            changes.MoveSubtree("/a/b/", "/~moved/");
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        Assert.True(store.LastChangeTimings!.PathsRead.Files > 0);

        // The second moves those rows again: the file the first wrote is searched with the paths
        // it was written from, not read back.
        await using (var changes = store.BeginChanges())
        {
            changes.MoveSubtree("/~moved/", "/~again/");
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        Assert.Equal(0, store.LastChangeTimings!.PathsRead.Files);
        Move(expected, "/a/b/", "/~moved/");
        Move(expected, "/~moved/", "/~again/");
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_file_rename_noted_before_its_delete_and_upsert_is_logged_as_one_rename_from_the_row_the_table_had()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = Tree();
        await ReplaceAsync(store, expected);

        // As the watcher sends them: directory moves first, then notes, then deletes and upserts,
        // each path as the earlier changes left it.
        await using (var changes = store.BeginChanges())
        {
            changes.MoveSubtree("/a/b/", "/e/");
            changes.NoteRename("/e/g01", "/e/renamed 'g01'\u00e9");
            changes.NoteRename("/c/h01", "/c/h01 renamed");
            changes.NoteRename("/c/none", "/c/made");           // no such row: the upsert is an insert
            changes.NoteRename("/c/h02", "/c/h02 gone");        // renamed, then removed before it was read
            changes.Delete("/e/g01");
            changes.Delete("/c/h01");
            changes.Delete("/c/h02");
            changes.Upsert(Row("/e/renamed 'g01'\u00e9", 5001));
            changes.Upsert(Row("/c/h01 renamed", 301));
            changes.Upsert(Row("/c/made", 5003));
            changes.Delete("/c/h02 gone");
            changes.Upsert(Row("/c/h02 gone", 5004));           // made again after the removal: new
            Assert.Equal(9, changes.Count);
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        await store.FlushChangesLogAsync();
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var log = (await engine.QueryAsync("SELECT kind, path, previous_path, size_before, size_after FROM changes", CancellationToken.None)).Rows
            .ToDictionary(r => (string)r[1]!, r => ((string)r[0]!, (string?)r[2], (long?)r[3], (long?)r[4]), StringComparer.Ordinal);
        Assert.Equal(("rename", "/a/b/g01", 201L, 5001L), log["/e/renamed 'g01'\u00e9"]);
        Assert.Equal(("rename", "/c/h01", 301L, 301L), log["/c/h01 renamed"]);
        Assert.Equal(("insert", null as string, null as long?, 5003L), log["/c/made"]);
        Assert.Equal(("delete", null as string, 302L, null as long?), log["/c/h02"]);
        Assert.Equal(("insert", null as string, null as long?, 5004L), log["/c/h02 gone"]);
        Assert.False(log.ContainsKey("/a/b/g01"));
        Assert.False(log.ContainsKey("/c/h01"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Asked_to_pair_by_id_the_log_calls_an_insert_with_the_id_of_a_deleted_row_a_rename(bool byId)
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        await using (var writer = store.BeginReplace())
        {
            await writer.AddAsync(Row("/", 0) with { Id = "2" }, CancellationToken.None);
            await writer.AddAsync(Row("/old 'a'", 11) with { Id = "501" }, CancellationToken.None);
            await writer.AddAsync(Row("/gone", 12) with { Id = "502" }, CancellationToken.None);
            await writer.AddAsync(Row("/kept", 13) with { Id = "503" }, CancellationToken.None);
            await writer.CommitAsync(new IndexBaseline("cluster", "/", null, DateTimeOffset.UnixEpoch), CancellationToken.None);
        }

        // What a catch-up sends for a snapshot difference with a rename, a delete and a create.
        await using (var changes = store.BeginChanges())
        {
            if (byId)
            {
                changes.LogRenamesById();
            }

            changes.Delete("/old 'a'");
            changes.Delete("/gone");
            changes.Upsert(Row("/new \u00e9", 21) with { Id = "501" });
            changes.Upsert(Row("/made", 22) with { Id = "504" });
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        await store.FlushChangesLogAsync();
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var log = (await engine.QueryAsync("SELECT kind, path, previous_path, size_before, size_after FROM changes ORDER BY path", CancellationToken.None)).Rows
            .Select(r => $"{r[0]} {r[2] ?? "-"} -> {r[1]} ({r[3] ?? "-"} -> {r[4] ?? "-"})")
            .ToList();
        string[] expected = byId
            ? ["delete - -> /gone (12 -> -)", "insert - -> /made (- -> 22)", "rename /old 'a' -> /new \u00e9 (11 -> 21)"]
            : ["delete - -> /gone (12 -> -)", "insert - -> /made (- -> 22)", "insert - -> /new \u00e9 (- -> 21)", "delete - -> /old 'a' (11 -> -)"];
        Assert.Equal(expected, log);
    }

    [Fact]
    public async Task A_reopened_store_rebuilds_its_key_index_from_data_and_delete_files()
    {
        var location = new IndexLocation(_dir);
        var expected = Tree();
        await using (var store = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30))
        {
            await ReplaceAsync(store, expected);
            await using var changes = store.BeginChanges();
            changes.Upsert(Row("/a/f01", 1));
            changes.Delete("/a/f02");
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        expected["/a/f01"] = 1;
        expected.Remove("/a/f02");
        await using (var store = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30))
        {
            // The row replaced in the first set is replaced again, the deleted one comes back.
            await using var changes = store.BeginChanges();
            changes.Upsert(Row("/a/f01", 11));
            changes.Upsert(Row("/a/f02", 12));
            changes.DeleteSubtree("/c/");
            var result = await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            Assert.Equal(2, result.RowsUpserted);
            Assert.Equal(41, result.RowsDeleted);
            expected["/a/f01"] = 11;
            expected["/a/f02"] = 12;
            foreach (var path in expected.Keys.Where(p => p.StartsWith("/c/", StringComparison.Ordinal)).ToList())
            {
                expected.Remove(path);
            }

            Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task Two_writers_each_see_the_others_commits()
    {
        var location = new IndexLocation(_dir);
        await using var first = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30);
        await using var second = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30);
        var expected = Tree();
        await ReplaceAsync(first, expected);
        for (int i = 0; i < 4; i++)
        {
            var store = i % 2 == 0 ? first : second;
            await using var changes = store.BeginChanges();
            changes.Upsert(Row("/a/f00", 1000 + i));
            changes.Delete($"/c/h{i:D2}");
            changes.Upsert(Row($"/x{i}", i));
            await changes.CommitAsync(null, new Dictionary<string, string> { ["n"] = i.ToString(CultureInfo.InvariantCulture) }, CancellationToken.None);
            expected["/a/f00"] = 1000 + i;
            expected.Remove($"/c/h{i:D2}");
            expected[$"/x{i}"] = i;
        }

        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await QueryAsync(second)).OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal("3", (await first.GetStatusAsync(CancellationToken.None)).Checkpoint["n"]);
    }

    [Fact]
    public async Task A_disposed_change_set_commits_nothing()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        await ReplaceAsync(store, Tree());
        var before = await store.GetStatusAsync(CancellationToken.None);
        await using (var changes = store.BeginChanges())
        {
            changes.DeleteSubtree("/");
        }

        var after = await store.GetStatusAsync(CancellationToken.None);
        Assert.Equal(before.Snapshots, after.Snapshots);
        Assert.Equal(before.Rows, after.Rows);
        await using var empty = store.BeginChanges();
        Assert.Equal(0, (await empty.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None)).SnapshotId);
        Assert.Throws<ArgumentException>(() => store.BeginChanges().MoveSubtree("/a/", "/a/b/"));
        Assert.Throws<ArgumentException>(() => store.BeginChanges().DeleteSubtree("/a"));
    }
    [Fact]
    public async Task Random_change_sets_over_sorted_and_unsorted_files_leave_what_a_dictionary_model_leaves()
    {
        // Directory names that are string prefixes of one another, and characters whose UTF-16
        // and UTF-8 orders differ, so finding a prefix's rows by binary search is put to the test.
        string[] directories = ["/a/", "/a/b/", "/a/b c/", "/a/bb/", "/a/b/b/", "/\uff5e/", "/\ud83d\udcc1/", "/u/", "/u/v/", "/c/"];
        string[] leaves = ["x", "b", "b c", "y'z", "\uff5e", "\ud83d\udcc1", "%", "line\nbreak"];
        var random = new Random(20261130);
        var location = new IndexLocation(_dir);
        var model = new Dictionary<string, long>(StringComparer.Ordinal);
        long size = 1;
        string AnyPath() => directories[random.Next(directories.Length)] + (random.Next(4) == 0 ? string.Empty : leaves[random.Next(leaves.Length)] + (random.Next(3) == 0 ? "/" : string.Empty));

        var store = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 16);
        try
        {
            // One sorted file set (a crawl's) and one file in arrival order (an import's), overlapping in range.
            var writer = (IBulkIndexWriter)store.BeginReplace();
            await using (writer)
            {
                foreach (var path in directories.SelectMany(d => leaves.Select(l => d + l)).Where((_, i) => i % 2 == 0))
                {
                    model[path] = size;
                    await writer.AddAsync(Row(path, size++), CancellationToken.None);
                }

                var unsorted = directories.SelectMany(d => leaves.Select(l => d + l + "/u" + l)).Reverse().ToList();
                var rows = unsorted.Select(p => Row(p, size++)).ToList();
                foreach (var row in rows)
                {
                    model[row.Path] = row.Size!.Value;
                }

                var file = IndexDataFileWriter.Write(writer.NewDataFilePath(), rows, CancellationToken.None) with { Sorted = false };
                var ordered = rows.Select(r => r.Path).Order(PathOrder.Instance).ToList();
                writer.AddDataFile(file with { LowerPath = ordered[0], UpperPath = ordered[^1] });
                await writer.CommitAsync(new IndexBaseline("cluster", "/", null, DateTimeOffset.UnixEpoch), CancellationToken.None);
            }

            for (int round = 0; round < 24; round++)
            {
                if (round == 12)
                {
                    // The key index is rebuilt from the files by a fresh store.
                    await store.DisposeAsync();
                    store = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 16);
                }

                await using var changes = store.BeginChanges();
                for (int step = 0; step < 12; step++)
                {
                    switch (random.Next(10))
                    {
                        case < 5:
                            var upsert = AnyPath();
                            changes.Upsert(Row(upsert, size));
                            model[upsert] = size++;
                            break;
                        case < 7:
                            var delete = AnyPath();
                            changes.Delete(delete);
                            model.Remove(delete);
                            break;
                        case 7:
                            var under = directories[random.Next(directories.Length)];
                            changes.DeleteSubtree(under);
                            RemoveUnder(model, under);
                            break;
                        default:
                            string from = directories[random.Next(directories.Length)], to = directories[random.Next(directories.Length)];
                            if (from.StartsWith(to, StringComparison.Ordinal) || to.StartsWith(from, StringComparison.Ordinal))
                            {
                                break;
                            }

                            changes.MoveSubtree(from, to);
                            Move(model, from, to);
                            break;
                    }
                }

                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
                if (round % 6 == 5)
                {
                    Assert.Equal(model.OrderBy(p => p.Key, StringComparer.Ordinal), (await QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
                }
            }
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    private static void RemoveUnder(Dictionary<string, long> tree, string prefix)
    {
        foreach (var path in tree.Keys.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            tree.Remove(path);
        }
    }
}
