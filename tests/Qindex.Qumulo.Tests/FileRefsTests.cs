namespace Qindex.Qumulo.Tests;

public class FileRefsTests
{
    [Fact]
    public void Numeric_ids_pass_through()
    {
        Assert.Equal("12345", FileRefs.Encode("12345"));
    }

    [Theory]
    [InlineData("/", "%2F")]
    [InlineData("/a b/c", "%2Fa%20b%2Fc")]
    [InlineData("/q'\"%#?", "%2Fq%27%22%25%23%3F")]
    [InlineData("/n\nl", "%2Fn%0Al")]
    [InlineData("/caf\u00e9", "%2Fcaf%C3%A9")]
    public void Paths_are_encoded_with_nothing_kept_safe(string path, string expected)
    {
        Assert.Equal(expected, FileRefs.Encode(path));
        Assert.Equal(path, Uri.UnescapeDataString(FileRefs.Encode(path)));
    }

    [Fact]
    public void A_relative_path_is_refused_with_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => FileRefs.Encode("relative/path"));
        Assert.Contains("absolute path", e.Message, StringComparison.Ordinal);
    }
}
