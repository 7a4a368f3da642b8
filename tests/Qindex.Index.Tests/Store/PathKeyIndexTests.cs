using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>The store's key index: a path's key finds its row, and its memory stays near the rows it holds.</summary>
public sealed class PathKeyIndexTests
{
    [Fact]
    public void Rows_a_file_loses_are_counted_when_their_keys_move_elsewhere_or_go_and_not_when_set_again_in_place()
    {
        var index = new PathKeyIndex();
        for (int i = 0; i < 5; i++)
        {
            index.Set(PathKeyIndex.KeyOf($"/f{i}"), new RowLocator(3, i), i);
        }

        index.Set(PathKeyIndex.KeyOf("/f0"), new RowLocator(3, 0), 7); // the same row, a new size
        Assert.Equal(0, index.GoneFrom(3));
        index.Set(PathKeyIndex.KeyOf("/f1"), new RowLocator(200, 0), 1); // replaced by a row in a newer file
        Assert.True(index.Remove(PathKeyIndex.KeyOf("/f2")));
        Assert.False(index.Remove(PathKeyIndex.KeyOf("/absent")));
        Assert.Equal(2, index.GoneFrom(3));
        Assert.Equal(0, index.GoneFrom(200));
        Assert.Equal(0, index.GoneFrom(100_000));
        index.Set(PathKeyIndex.KeyOf("/f1"), new RowLocator(201, 0), 1);
        Assert.Equal(1, index.GoneFrom(200));
    }

    [Fact]
    public void Keys_find_their_rows_and_sizes_and_removed_files_take_their_keys_along()
    {
        var index = new PathKeyIndex(4);
        string[] paths = ["/a", "/a/", "/odd/it's a 'quote'", "/odd/line\nbreak", "/odd/100%_done", "/odd/caf\u00e9"];
        for (int i = 0; i < paths.Length; i++)
        {
            index.Set(PathKeyIndex.KeyOf(paths[i]), new RowLocator(i % 2, i), i == 0 ? null : i * 10L);
        }

        Assert.Equal(paths.Length, index.Count);
        Assert.True(index.TryGet(PathKeyIndex.KeyOf("/odd/line\nbreak"), out var at, out long? size));
        Assert.Equal(new RowLocator(1, 3), at);
        Assert.Equal(30L, size);
        Assert.True(index.TryGet(PathKeyIndex.KeyOf("/a"), out _, out long? none));
        Assert.Null(none);
        Assert.False(index.TryGet(PathKeyIndex.KeyOf("/a/b"), out _));

        index.RemoveFile(1);
        Assert.Equal(3, index.Count);
        Assert.False(index.TryGet(PathKeyIndex.KeyOf("/a/"), out _));
        Assert.True(index.Remove(PathKeyIndex.KeyOf("/a")));
        Assert.False(index.Remove(PathKeyIndex.KeyOf("/a")));
    }

    [Fact]
    public void An_index_built_for_its_rows_takes_a_few_more_without_doubling()
    {
        // A crawl of exactly N rows, then a watcher's first creates: a table sized to N exactly
        // doubled there (at 10M rows the key index went from about 0.5 GB to over 1 GB).
        // 108,631 is one of the primes a dictionary sizes itself to, so it gets no spare room of
        // its own (as 10,000,000 gets 19: its size is the next prime).
        const int rows = 108_631;
        var index = new PathKeyIndex(rows);
        for (int i = 0; i < rows + 1_000; i++)
        {
            index.Set(PathKeyIndex.KeyOf("/f" + i), new RowLocator(0, i), i);
        }

        Assert.Equal(rows + 1_000, index.Count);
        Assert.True(index.Capacity < rows * 3 / 2, $"capacity {index.Capacity} for {index.Count} rows");
    }
}
