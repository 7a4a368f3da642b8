using Qindex.Index.Watch;

namespace Qindex.Index.Tests.Watch;

public sealed class PrefixMapTests
{
    [Fact]
    public void Keys_under_a_directory_are_exactly_those_that_start_with_it()
    {
        var keys = new[]
        {
            "/w/a/", "/w/a", "/w/a0", "/w/a/b", "/w/a/b/", "/w/a/b/c", "/w/a.txt", "/w/a!", "/w/a/\uffff", "/w/a/caf\u00e9",
            "/w/a/say \"cheese\"", "/w/a/line\nbreak", "/w/a/100% done", "/w/ab/", "/w/a/\u5831\u544a", "/w/", "/x/a/b",
        };
        var map = new PrefixMap<int>();
        for (int i = 0; i < keys.Length; i++)
        {
            map[keys[i]] = i;
        }

        foreach (var directory in new[] { "/w/a/", "/w/", "/w/a/b/", "/w/ab/", "/w/zz/", "/" })
        {
            var expected = keys.Where(k => k.StartsWith(directory, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, map.KeysUnder(directory));
        }
    }

    [Fact]
    public void Removing_and_overwriting_keep_the_map_and_its_order_in_step()
    {
        var map = new PrefixMap<string>();
        map["/w/a/1"] = "one";
        map["/w/a/2"] = "two";
        map["/w/a/1"] = "uno";
        Assert.Equal(2, map.Count);
        Assert.True(map.Remove("/w/a/2", out var removed));
        Assert.Equal("two", removed);
        Assert.False(map.Remove("/w/a/2"));
        Assert.Equal(["/w/a/1"], map.KeysUnder("/w/a/"));
        Assert.True(map.TryGetValue("/w/a/1", out var value));
        Assert.Equal("uno", value);
        map.Clear();
        Assert.Empty(map.KeysUnder("/w/"));
        Assert.Throws<ArgumentException>(() => map.KeysUnder("/w/a"));
    }
}
