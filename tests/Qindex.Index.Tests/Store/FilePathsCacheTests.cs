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
    }
}
