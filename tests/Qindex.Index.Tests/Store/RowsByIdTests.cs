using System.Globalization;
using Qindex.Index.Compaction;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Index.Watch;

namespace Qindex.Index.Tests.Store;

/// <summary>
/// The store's lookup of rows by id (the other names of a file that just became hard-linked)
/// against DuckDB reading the same table, through replaces, change sets, a reopen and compaction.
/// </summary>
public sealed class RowsByIdTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Ids shared by several paths (as hard links are), one not a number, one absent.</summary>
    private static string? IdFor(string path, long size) => path switch
    {
        "/a/f07" => "not-a-number",
        "/a/f08" => null,
        _ => (size % 17).ToString(CultureInfo.InvariantCulture),
    };

    private static async Task<Dictionary<string, string[]>> DuckDbAsync(IIndexStore store, IEnumerable<string> ids)
    {
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            await using var reader = await engine.ExecuteReaderAsync("SELECT path FROM files WHERE id = ? ORDER BY path", [id], CancellationToken.None);
            var paths = new List<string>();
            while (await reader.ReadAsync(CancellationToken.None))
            {
                paths.Add(reader.GetString(0));
            }

            if (paths.Count > 0)
            {
                result[id] = [.. paths];
            }
        }

        return result;
    }

    private static async Task<Dictionary<string, string[]>> StoreAsync(IcebergIndexStore store, IReadOnlyCollection<string> ids)
    {
        var found = await store.PathsOfIdsAsync(ids, CancellationToken.None);
        return found.ToDictionary(p => p.Key, p => p.Value.Order(StringComparer.Ordinal).ToArray(), StringComparer.Ordinal);
    }

    private static async Task AssertSameAsync(IcebergIndexStore store, string[] asked)
    {
        var expected = await DuckDbAsync(store, asked.Where(id => id.All(char.IsAsciiDigit) && id.Length > 0));
        var actual = await StoreAsync(store, asked);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), actual.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Paths_of_ids_are_the_live_rows_DuckDB_finds_with_that_id()
    {
        var location = new IndexLocation(_dir);
        var asked = Enumerable.Range(0, 17).Select(i => i.ToString(CultureInfo.InvariantCulture)).Append("not-a-number").Append("99").ToArray();
        await using (var store = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30))
        {
            await using (var writer = store.BeginReplace())
            {
                foreach (var (path, size) in ChangeSetTests.Tree())
                {
                    await writer.AddAsync(ChangeSetTests.Row(path, size) with { Id = IdFor(path, size) }, CancellationToken.None);
                }

                await writer.CommitAsync(null, CancellationToken.None);
            }

            await AssertSameAsync(store, asked);
            Assert.True(store.IdColumnBytes > 0);

            // Rows replaced (new id), deleted, deleted with their tree, moved: the lookup keeps up
            // with files written since the first lookup and positions deleted in the files it read.
            await using (var changes = store.BeginChanges())
            {
                changes.Upsert(ChangeSetTests.Row("/a/f01", 3) with { Id = "5" });
                changes.Delete("/a/f02");
                changes.DeleteSubtree("/c/");
                changes.MoveSubtree("/a/b/", "/moved/");
                changes.Upsert(ChangeSetTests.Row("/new 'quoted'\nname", 4) with { Id = "5" });
                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }

            await AssertSameAsync(store, asked);
            var five = (await StoreAsync(store, ["5"]))["5"];
            Assert.Contains("/a/f01", five);
            Assert.Contains("/new 'quoted'\nname", five);
            Assert.DoesNotContain(five, p => p.StartsWith("/a/b/", StringComparison.Ordinal) || p.StartsWith("/c/", StringComparison.Ordinal));
            Assert.Contains(five, p => p.StartsWith("/moved/", StringComparison.Ordinal));

            // Leading zeros name the same number and come back under the id as asked.
            Assert.Equal(five, (await StoreAsync(store, ["005"]))["005"]);
        }

        await using (var store = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30))
        {
            // A reopened store, then a compaction that replaces every file the lookup had read.
            await AssertSameAsync(store, asked);
            Assert.True((await IndexCompactor.CompactAsync(store, new CompactionOptions { Force = true, RowsPerFile = 30 }, CancellationToken.None)).Compacted);
            await AssertSameAsync(store, asked);
            long rows = 0;
            foreach (var file in (await store.ScanAsync(CancellationToken.None)).DataFiles)
            {
                using var reader = new ParquetSharp.ParquetFileReader(file);
                rows += reader.FileMetaData.NumRows;
            }

            // Only the live files' ids are kept: those of the files compaction replaced are dropped.
            Assert.Equal(8L * rows, store.IdColumnBytes);
        }
    }

    [Fact]
    public async Task A_file_whose_rows_mostly_moved_away_is_searched_by_its_live_rows_alone_and_lookups_stay_right()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = ChangeSetTests.Tree();
        await using (var writer = store.BeginReplace())
        {
            foreach (var (path, size) in expected)
            {
                await writer.AddAsync(ChangeSetTests.Row(path, size) with { Id = IdFor(path, size) }, CancellationToken.None);
            }

            await writer.CommitAsync(null, CancellationToken.None);
        }

        // The crawled files are sorted runs of 30 rows: one holds mostly /a/b/ rows.
        var (mostly, stay) = (await store.ScanAsync(CancellationToken.None)).DataFiles
            .Select(f => (File: f, Paths: new IcebergIndexStore.FilePaths(f, DataFileRows.ReadPathsUtf8(f))))
            .Select(f => (f.File, Stay: Enumerable.Range(0, f.Paths.Count).Select(f.Paths.PathAt).Where(p => !p.StartsWith("/a/b/", StringComparison.Ordinal)).ToList()))
            .First(f => f.Stay.Count < 15);

        async Task CommitAsync(Action<IIndexChangeSet> change)
        {
            await using var changes = store.BeginChanges();
            change(changes);
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        // The move reads those files' paths into the cache; every row of theirs moves away.
        await CommitAsync(c => c.MoveSubtree("/a/b/", "/moved/"));
        var location = (await store.Table.LiveEntriesAsync(CancellationToken.None)).Select(e => e.DataFile.FilePath).Single(l => Path.GetFileName(l) == Path.GetFileName(mostly));
        Assert.Equal(30, store.PathsCache.TryGet(location)!.Count);

        // The next set keeps only the live rows' paths of a file mostly gone.
        await CommitAsync(c => c.MoveSubtree("/c/", "/d/"));
        var kept = store.PathsCache.TryGet(location)!;
        Assert.Equal(stay, Enumerable.Range(0, kept.Count).Select(kept.PathAt));

        // A picture built again (another writer moved the table on) drops what was judged live against the old one.
        store.SetLive(null);
        await CommitAsync(c => c.Upsert(ChangeSetTests.Row("/new", 1)));
        expected["/new"] = 1;
        Assert.Null(store.PathsCache.TryGet(location));

        // Moves, deletes and lookups by id over files searched by their live rows only.
        await CommitAsync(c =>
        {
            c.MoveSubtree("/moved/", "/a/b/");
            c.Delete("/d/h03");
        });
        await CommitAsync(c => c.MoveSubtree("/d/", "/c/"));
        expected.Remove("/c/h03");
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
        await AssertSameAsync(store, Enumerable.Range(0, 17).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    [Fact]
    public async Task The_watchers_link_source_reads_the_store_and_agrees_with_the_query()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        await using (var writer = store.BeginReplace())
        {
            foreach (var (path, size) in ChangeSetTests.Tree())
            {
                await writer.AddAsync(ChangeSetTests.Row(path, size) with { Id = IdFor(path, size) }, CancellationToken.None);
            }

            await writer.CommitAsync(null, CancellationToken.None);
        }

        var source = new IndexHardLinkSource(store);
        var found = await source.PathsOfAsync(["3", "12", "x"], CancellationToken.None);
        var expected = await DuckDbAsync(store, ["3", "12"]);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), found.Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, e => Assert.Equal(e.Value, found[e.Key].Order(StringComparer.Ordinal)));
        Assert.True(store.IdColumnBytes > 0);
    }

    [Fact]
    public async Task Id_columns_a_catch_up_reads_to_pair_renames_are_dropped_once_their_files_are_replaced()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        await using (var writer = store.BeginReplace())
        {
            foreach (var (path, size) in ChangeSetTests.Tree())
            {
                await writer.AddAsync(ChangeSetTests.Row(path, size) with { Id = size.ToString(CultureInfo.InvariantCulture) }, CancellationToken.None);
            }

            await writer.CommitAsync(null, CancellationToken.None);
        }

        async Task RenameByIdAsync(string from, string to, long id)
        {
            await using var changes = store.BeginChanges();
            changes.LogRenamesById();
            changes.Delete(from);
            changes.Upsert(ChangeSetTests.Row(to, id) with { Id = id.ToString(CultureInfo.InvariantCulture) });
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        await RenameByIdAsync("/c/h01", "/c/h01 renamed", 301);
        Assert.True(store.IdColumnBytes > 0);

        // Compaction replaces every file whose ids were read, with one file; the next pairing reads
        // that file's ids and forgets the replaced files' (before the fix they stayed too).
        Assert.True((await IndexCompactor.CompactAsync(store, new CompactionOptions { Force = true, RowsPerFile = 100_000 }, CancellationToken.None)).Compacted);
        var compacted = Assert.Single((await store.ScanAsync(CancellationToken.None)).DataFiles);
        long compactedRows;
        using (var reader = new ParquetSharp.ParquetFileReader(compacted))
        {
            compactedRows = reader.FileMetaData.NumRows;
        }

        await RenameByIdAsync("/c/h02", "/c/h02 renamed", 302);
        Assert.Equal(8L * compactedRows, store.IdColumnBytes);
    }
}
