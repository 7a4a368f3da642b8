using System.Globalization;
using Qindex.Iceberg.Spec;
using Qindex.Index.Compaction;
using Qindex.Index.Store;
using Qindex.Index.Tests.Store;

namespace Qindex.Index.Tests.Compaction;

/// <summary>Compaction folds deletes, merges files, keeps them sorted and disjoint, and races other writers safely.</summary>
public sealed class CompactionTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly CompactionOptions Force = new() { Force = true, RowsPerFile = 30 };

    /// <summary>Checks that live data files are each sorted and their path ranges disjoint; returns how many there are.</summary>
    internal static async Task<int> AssertSortedAndDisjointAsync(IcebergIndexStore store)
    {
        await store.Table.RefreshAsync(CancellationToken.None);
        var data = (await store.Table.LiveEntriesAsync(CancellationToken.None)).Where(e => e.DataFile.Content == FileContent.Data).Select(e => e.DataFile).ToList();
        var ranges = new List<(string Lower, string Upper)>();
        foreach (var file in data)
        {
            var paths = (await PipelineFixtures.ReadRowsAsync(Qindex.Iceberg.IO.LocalFileIO.ToPath(file.FilePath))).Select(r => r.Path).ToList();
            Assert.Equal(paths.Order(PathOrder.Instance), paths);
            Assert.Equal(paths[0], SingleValue.ToString(file.LowerBounds![IcebergIndexStore.PathFieldId]));
            Assert.Equal(paths[^1], SingleValue.ToString(file.UpperBounds![IcebergIndexStore.PathFieldId]));
            ranges.Add((paths[0], paths[^1]));
        }

        ranges.Sort((a, b) => PathOrder.Instance.Compare(a.Lower, b.Lower));
        for (int i = 1; i < ranges.Count; i++)
        {
            Assert.True(PathOrder.Instance.Compare(ranges[i - 1].Upper, ranges[i].Lower) < 0, $"files overlap: [{ranges[i - 1].Lower}, {ranges[i - 1].Upper}] and [{ranges[i].Lower}, {ranges[i].Upper}]");
        }

        return data.Count;
    }

    [Fact]
    public async Task Compaction_folds_deletes_into_sorted_disjoint_files_and_change_sets_continue_on_them()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = ChangeSetTests.Tree();
        await ChangeSetTests.ReplaceAsync(store, expected);
        for (int i = 0; i < 5; i++)
        {
            await using var changes = store.BeginChanges();
            changes.Upsert(ChangeSetTests.Row($"/a/f{i:D2}", 1000 + i));
            changes.Upsert(ChangeSetTests.Row($"/b{i}", i));
            changes.Delete($"/c/h{i:D2}");
            await changes.CommitAsync(null, new Dictionary<string, string> { ["n"] = i.ToString(CultureInfo.InvariantCulture) }, CancellationToken.None);
            expected[$"/a/f{i:D2}"] = 1000 + i;
            expected[$"/b{i}"] = i;
            expected.Remove($"/c/h{i:D2}");
        }

        var before = await store.GetStatusAsync(CancellationToken.None);
        Assert.Equal(5, before.DeleteFiles);
        var result = await IndexCompactor.CompactAsync(store, Force, CancellationToken.None);
        Assert.True(result.Compacted, result.Reason);
        Assert.Equal(expected.Count, result.Rows);

        var after = await store.GetStatusAsync(CancellationToken.None);
        Assert.Equal(0, after.DeleteFiles);
        Assert.Equal((expected.Count + 29) / 30, after.DataFiles);
        Assert.Equal("4", after.Checkpoint["n"]);
        Assert.Equal("cluster", after.Baseline?.ClusterHost);
        Assert.Equal(after.DataFiles, await AssertSortedAndDisjointAsync(store));
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
        using (var read = await NodeReaders.ReadIcebergAsync(store.Table.MetadataLocation))
        {
            Assert.Equal(expected.Count, read.RootElement.GetArrayLength());
        }

        // Nothing left to do; and the key index the compaction built serves the next change set.
        Assert.False((await IndexCompactor.CompactAsync(store, Force, CancellationToken.None)).Compacted);
        await using (var changes = store.BeginChanges())
        {
            changes.Upsert(ChangeSetTests.Row("/a/f00", 5));
            changes.MoveSubtree("/a/b/", "/z/");
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        expected["/a/f00"] = 5;
        foreach (var (path, size) in expected.Where(p => p.Key.StartsWith("/a/b/", StringComparison.Ordinal)).ToList())
        {
            expected.Remove(path);
            expected["/z/" + path["/a/b/".Length..]] = size;
        }

        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_minor_compaction_merges_recent_files_and_combines_deletes_without_rewriting_the_table()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = ChangeSetTests.Tree();
        await ChangeSetTests.ReplaceAsync(store, expected);
        var fullFiles = (await store.ScanAsync(CancellationToken.None)).DataFiles.Where(f => new FileInfo(f).Exists).ToHashSet(StringComparer.Ordinal);
        for (int i = 0; i < 4; i++)
        {
            await using var changes = store.BeginChanges();
            changes.Upsert(ChangeSetTests.Row($"/a/f{i:D2}", 7000 + i));
            changes.Upsert(ChangeSetTests.Row($"/m{i}", i));
            if (i > 0)
            {
                changes.Upsert(ChangeSetTests.Row($"/m{i - 1}", 50 + i)); // replaces a row of a file the minor compaction merges
            }

            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            expected[$"/a/f{i:D2}"] = 7000 + i;
            expected[$"/m{i}"] = i;
            if (i > 0)
            {
                expected[$"/m{i - 1}"] = 50 + i;
            }
        }

        var result = await IndexCompactor.CompactAsync(store, new CompactionOptions { FileThreshold = 2, RowsPerFile = 30 }, CancellationToken.None);
        Assert.True(result.Compacted, result.Reason);
        Assert.StartsWith("minor", result.Reason, StringComparison.Ordinal);
        var status = await store.GetStatusAsync(CancellationToken.None);
        Assert.Equal(1, status.DeleteFiles);
        Assert.Equal(expected.Count, status.Rows);
        var liveFiles = (await store.ScanAsync(CancellationToken.None)).DataFiles.ToHashSet(StringComparer.Ordinal);
        Assert.Equal(fullFiles.Count - 1, fullFiles.Count(liveFiles.Contains)); // only the crawl's last, partial file was merged
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));

        // The picture was carried over, not rebuilt: the next set finds rows in the merged file.
        await using (var changes = store.BeginChanges())
        {
            changes.Delete("/m0");
            changes.Upsert(ChangeSetTests.Row("/a/f01", 1));
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        expected.Remove("/m0");
        expected["/a/f01"] = 1;
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
        using var read = await NodeReaders.ReadIcebergAsync(store.Table.MetadataLocation);
        Assert.Equal(expected.Count, read.RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Two_writers_racing_a_compaction_lose_nothing()
    {
        var location = new IndexLocation(_dir);
        await using var compactor = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30);
        await using var writerA = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30);
        await using var writerB = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30);
        var initial = ChangeSetTests.Tree();
        await ChangeSetTests.ReplaceAsync(compactor, initial);

        // A rewrites /a/f.., B deletes /c/h.. and inserts /n..; their paths never meet, so the end state is known.
        async Task WriteAsync(IcebergIndexStore store, Func<int, IIndexChangeSet, Task> step)
        {
            for (int i = 0; i < 12; i++)
            {
                await using var changes = store.BeginChanges();
                await step(i, changes);
                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }
        }

        using var stop = new CancellationTokenSource();
        int compactions = 0;
        var compacting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if ((await IndexCompactor.CompactAsync(compactor, Force, CancellationToken.None)).Compacted)
                {
                    compactions++;
                }
            }
        });
        await Task.WhenAll(
            WriteAsync(writerA, (i, c) =>
            {
                c.Upsert(ChangeSetTests.Row($"/a/f{i % 40:D2}", 5000 + i));
                return Task.CompletedTask;
            }),
            WriteAsync(writerB, (i, c) =>
            {
                c.Delete($"/c/h{i:D2}");
                c.Upsert(ChangeSetTests.Row($"/n{i:D2}", i));
                return Task.CompletedTask;
            }));
        await stop.CancelAsync();
        await compacting;
        Assert.True((await IndexCompactor.CompactAsync(compactor, Force, CancellationToken.None)).Compacted || compactions > 0);

        var expected = new Dictionary<string, long>(initial, StringComparer.Ordinal);
        for (int i = 0; i < 12; i++)
        {
            expected[$"/a/f{i % 40:D2}"] = 5000 + i;
            expected.Remove($"/c/h{i:D2}");
            expected[$"/n{i:D2}"] = i;
        }

        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(compactor)).OrderBy(p => p.Key, StringComparer.Ordinal));
        await AssertSortedAndDisjointAsync(compactor);
    }

    [Fact]
    public async Task The_file_count_stays_bounded_under_endless_change()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = ChangeSetTests.Tree();
        await ChangeSetTests.ReplaceAsync(store, expected);
        var options = new MaintenanceOptions { Compaction = new CompactionOptions { FileThreshold = 4, RowsPerFile = 30 }, OrphanMinAge = null };
        int most = 0;
        for (int i = 0; i < 30; i++)
        {
            await using (var changes = store.BeginChanges())
            {
                changes.Upsert(ChangeSetTests.Row($"/a/f{i % 40:D2}", i));
                changes.Upsert(ChangeSetTests.Row($"/m{i:D3}", i));
                changes.Delete($"/c/h{i % 40:D2}");
                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }

            expected[$"/a/f{i % 40:D2}"] = i;
            expected[$"/m{i:D3}"] = i;
            expected.Remove($"/c/h{i % 40:D2}");
            await IndexMaintenance.RunAsync(store, options, CancellationToken.None);
            var status = await store.GetStatusAsync(CancellationToken.None);
            int minimum = (int)((status.Rows + 29) / 30);
            most = Math.Max(most, status.DataFiles + status.DeleteFiles - minimum);
        }

        Assert.InRange(most, 0, 4);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Change_sets_that_land_while_a_compaction_rewrites_are_kept_and_nothing_they_removed_comes_back(bool major)
    {
        // The rewrite runs without the write lock; change sets commit between it and its commit.
        var location = new IndexLocation(_dir);
        var expected = ChangeSetTests.Tree();
        await using (var store = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30))
        {
            await ChangeSetTests.ReplaceAsync(store, expected);
            for (int i = 0; i < 6; i++)
            {
                // Small files (inserts) and deletes, so a minor compaction has work too.
                await using var changes = store.BeginChanges();
                changes.Upsert(ChangeSetTests.Row($"/m/s{i:D2}", 600 + i));
                changes.Upsert(ChangeSetTests.Row($"/a/f{i:D2}", 700 + i));
                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
                expected[$"/m/s{i:D2}"] = 600 + i;
                expected[$"/a/f{i:D2}"] = 700 + i;
            }

            async Task Meanwhile()
            {
                await using var changes = store.BeginChanges();
                changes.Upsert(ChangeSetTests.Row("/a/f01", 9001));     // replaces a row the rewrite copied
                changes.Upsert(ChangeSetTests.Row("/m/s02", 9002));     // one from a small file
                changes.Delete("/a/f10");                               // deletes a copied row
                changes.Delete("/m/s03");
                changes.DeleteSubtree("/c/");                           // many copied rows
                changes.MoveSubtree("/a/b/", "/moved/");                // copied rows moved away
                changes.Upsert(ChangeSetTests.Row("/new", 9003));
                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }

            var options = major ? new CompactionOptions { Force = true, RowsPerFile = 30 } : new CompactionOptions { FileThreshold = 2, RowsPerFile = 30 };
            var result = await IndexCompactor.CompactAsync(store, options, Meanwhile, CancellationToken.None);
            Assert.True(result.Compacted, result.Reason);
            Assert.StartsWith(major ? "major" : "minor", result.Reason, StringComparison.Ordinal);

            expected["/a/f01"] = 9001;
            expected["/m/s02"] = 9002;
            expected.Remove("/a/f10");
            expected.Remove("/m/s03");
            foreach (var path in expected.Keys.Where(p => p.StartsWith("/c/", StringComparison.Ordinal)).ToList())
            {
                expected.Remove(path);
            }

            foreach (var (path, size) in expected.Where(p => p.Key.StartsWith("/a/b/", StringComparison.Ordinal)).ToList())
            {
                expected.Remove(path);
                expected["/moved/" + path["/a/b/".Length..]] = size;
            }

            expected["/new"] = 9003;
            Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));

            // The key index kept up: the same rows change again through it.
            await using (var again = store.BeginChanges())
            {
                again.Upsert(ChangeSetTests.Row("/a/f01", 1));
                again.Upsert(ChangeSetTests.Row("/a/f02", 2));
                again.Delete("/m/s04");
                await again.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }

            expected["/a/f01"] = 1;
            expected["/a/f02"] = 2;
            expected.Remove("/m/s04");
            Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
        }

        // And a fresh store, building its key index from the files, agrees.
        await using var reopened = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30);
        await using (var last = reopened.BeginChanges())
        {
            last.Upsert(ChangeSetTests.Row("/a/f02", 3));
            await last.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        expected["/a/f02"] = 3;
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(reopened)).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_background_compaction_runs_beside_change_sets_and_keeps_the_file_count_bounded()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = ChangeSetTests.Tree();
        await ChangeSetTests.ReplaceAsync(store, expected);
        var options = new CompactionOptions { FileThreshold = 4, RowsPerFile = 30 };
        int compacted = 0;
        var failures = new List<Exception>();
        await using (var background = new BackgroundCompaction(store, options, (r, _) => Interlocked.Add(ref compacted, r.Compacted ? 1 : 0), failures.Add))
        {
            for (int i = 0; i < 24; i++)
            {
                await using (var changes = store.BeginChanges())
                {
                    changes.Upsert(ChangeSetTests.Row($"/a/f{i % 40:D2}", 800 + i));
                    changes.Upsert(ChangeSetTests.Row($"/p{i:D2}", i));
                    changes.Delete($"/c/h{i % 40:D2}");
                    await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
                }

                expected[$"/a/f{i % 40:D2}"] = 800 + i;
                expected[$"/p{i:D2}"] = i;
                expected.Remove($"/c/h{i % 40:D2}");
                background.StartIfDue();
            }

            await background.WhenIdleAsync();
            background.StartIfDue();
            await background.WhenIdleAsync();
        }

        Assert.Empty(failures);
        Assert.True(compacted > 0);
        var status = await store.GetStatusAsync(CancellationToken.None);
        Assert.InRange(status.DataFiles + status.DeleteFiles - (int)Math.Max(1, (status.Rows + 29) / 30), 0, options.FileThreshold - 1);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_snapshot_totals_say_a_compaction_is_due_exactly_when_the_file_count_does()
    {
        // The watcher asks after every batch, so the answer comes from the snapshot summary, not
        // the manifests; it must agree with the count the compactor itself makes.
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        await ChangeSetTests.ReplaceAsync(store, ChangeSetTests.Tree());
        var options = new CompactionOptions { FileThreshold = 4, RowsPerFile = 30 };
        int dueSeen = 0;
        for (int i = 0; i < 12; i++)
        {
            await using (var changes = store.BeginChanges())
            {
                changes.Upsert(ChangeSetTests.Row($"/a/f{i % 40:D2}", i));
                changes.Delete($"/c/h{i % 40:D2}");
                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }

            var status = await store.GetStatusAsync(CancellationToken.None);
            int excess = status.DataFiles + status.DeleteFiles - (int)Math.Max(1, (status.Rows + 29) / 30);
            Assert.Equal(excess >= options.FileThreshold, IndexCompactor.MayBeDue(store, options));
            if (IndexCompactor.MayBeDue(store, options))
            {
                dueSeen++;
                Assert.True((await IndexCompactor.CompactAsync(store, options, CancellationToken.None)).Compacted);
                Assert.False(IndexCompactor.MayBeDue(store, options));
            }
        }

        Assert.True(dueSeen >= 2, $"compaction was due {dueSeen} time(s)");
    }

    [Fact]
    public async Task A_replace_leaves_sorted_disjoint_files_whatever_the_input_order()
    {
        // Review finding 1: runs were sorted but never merged, so their path ranges interleaved
        // (this test failed before the merge).
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 25);
        await using (var writer = store.BeginReplace())
        {
            var random = new Random(7);
            foreach (var i in Enumerable.Range(0, 200).OrderBy(_ => random.Next()))
            {
                await writer.AddAsync(ChangeSetTests.Row($"/d{i % 7}/f{i:D4}", i), CancellationToken.None);
            }

            await writer.CommitAsync(null, CancellationToken.None);
        }

        Assert.Equal(8, await AssertSortedAndDisjointAsync(store));
        Assert.Equal(200, (await ChangeSetTests.QueryAsync(store)).Count);
        var live = (await store.ScanAsync(CancellationToken.None)).DataFiles;
        Assert.Equal(live.Order(StringComparer.Ordinal), Directory.GetFiles(Path.Combine(_dir, "warehouse", "qindex", "files", "data")).Order(StringComparer.Ordinal)); // the runs were removed
    }
}
