using Qindex.Index.Compaction;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>The cache of data files' paths between change sets stays within its bytes and drops the least recently used first.</summary>
public sealed class FilePathsCacheTests
{
    [Fact]
    public void The_least_recently_used_file_goes_first_and_the_bound_is_bytes_not_paths()
    {
        static IcebergIndexStore.FilePaths Paths(int count, int length) =>
            new("/local", Enumerable.Range(0, count).Select(i => "/" + i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture).PadRight(length, 'x')).ToArray());

        var small = Paths(10, 20);
        var cache = new IcebergIndexStore.FilePathsCache(3 * small.Bytes);
        cache.Add("a", small);
        cache.Add("b", Paths(10, 20));
        cache.Add("c", Paths(10, 20));
        Assert.NotNull(cache.TryGet("a")); // a is now the most recently used
        cache.Add("d", Paths(10, 20));

        Assert.Null(cache.TryGet("b"));
        Assert.NotNull(cache.TryGet("a"));
        Assert.NotNull(cache.TryGet("c"));
        Assert.NotNull(cache.TryGet("d"));
        Assert.True(cache.Held <= 3 * small.Bytes);

        // As many paths, each ten times longer: too large to keep at all.
        cache.Add("long", Paths(10, 2000));
        Assert.Null(cache.TryGet("long"));
        Assert.Equal(3 * small.Bytes, cache.Held);

        // Full: a commit's own file is not seeded over files already held (decision 0009, tenth session).
        Assert.False(cache.HasRoomFor(1));
        cache.KeepOnly(new HashSet<string>(["a", "c"], StringComparer.Ordinal));
        Assert.True(cache.HasRoomFor(small.Bytes));
        Assert.False(cache.HasRoomFor(small.Bytes + 1));
    }

    [Fact]
    public void Files_no_longer_live_are_dropped()
    {
        var cache = new IcebergIndexStore.FilePathsCache(1L << 20);
        cache.Add("a", new("/local", ["/a1", "/a2"]));
        cache.Add("b", new("/local", ["/b1"]));
        long b = cache.Held;
        cache.Add("c", new("/local", ["/c1"]));

        cache.KeepOnly(new HashSet<string>(["b", "c", "d"], StringComparer.Ordinal));

        Assert.Null(cache.TryGet("a"));
        Assert.NotNull(cache.TryGet("b"));
        Assert.NotNull(cache.TryGet("c"));
        Assert.Equal(b - new IcebergIndexStore.FilePaths("/local", ["/a1", "/a2"]).Bytes + new IcebergIndexStore.FilePaths("/local", ["/c1"]).Bytes, cache.Held);
    }

    [Fact]
    public async Task After_batches_and_compactions_the_store_keeps_paths_of_live_files_only()
    {
        // A watcher's batches write small files and compactions replace them; before files no
        // longer live were dropped, their paths stayed until the bound (256 MB at 10M rows).
        string dir = PipelineFixtures.TempDir();
        try
        {
            await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(dir), CancellationToken.None, runRows: 30);
            await ChangeSetTests.ReplaceAsync(store, ChangeSetTests.Tree());
            for (int round = 0; round < 6; round++)
            {
                await using (var changes = store.BeginChanges())
                {
                    changes.MoveSubtree(round % 2 == 0 ? "/a/b/" : "/moved/", round % 2 == 0 ? "/moved/" : "/a/b/");
                    changes.Upsert(ChangeSetTests.Row($"/c/round{round}", round));
                    await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
                }

                await IndexCompactor.CompactAsync(store, new CompactionOptions { Force = true, RowsPerFile = 30 }, CancellationToken.None);
            }

            await using (var changes = store.BeginChanges())
            {
                changes.DeleteSubtree("/c/");
                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }

            long live = 0;
            foreach (var file in (await store.ScanAsync(CancellationToken.None)).DataFiles)
            {
                live += new IcebergIndexStore.FilePaths(file, DataFileRows.ReadPathsUtf8(file)).Bytes;
            }

            Assert.InRange(store.Memory.PathsCacheBytes, 1, live);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
