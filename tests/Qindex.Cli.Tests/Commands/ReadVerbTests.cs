namespace Qindex.Cli.Tests.Commands;

/// <summary>Issue 7 item 6: read verbs never create an index; a crawl that fails before writing leaves nothing.</summary>
public sealed class ReadVerbTests : IClassFixture<SimulatorFixture>, IDisposable
{
    private readonly SimulatorFixture _sim;
    private readonly string _dir = CliRunner.TempDir();

    public ReadVerbTests(SimulatorFixture sim) => _sim = sim;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("status")]
    [InlineData("query")]
    [InlineData("export")]
    public async Task Read_verb_on_a_mistyped_index_says_no_index_and_creates_nothing(string verb)
    {
        var index = Path.Combine(_dir, "mistyped-idx");
        string[] args = verb switch
        {
            "query" => ["query", "--index", index, "SELECT count(*) FROM files"],
            "export" => ["export", "--index", index, "--parquet", Path.Combine(_dir, "out")],
            _ => ["status", "--index", index],
        };

        var result = await CliRunner.RunAsync(args);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("no index at " + index, result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(index), verb + " created " + index);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")), verb + " created the export directory");
    }

    [Fact]
    public async Task Read_verb_on_an_empty_existing_directory_says_no_index_and_leaves_it_empty()
    {
        var index = Path.Combine(_dir, "empty-dir");
        Directory.CreateDirectory(index);

        var result = await CliRunner.RunAsync(["status", "--index", index]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("no index at", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(index));
    }

    [Fact]
    public async Task Crawl_that_fails_before_writing_leaves_no_directory_behind()
    {
        var index = Path.Combine(_dir, "crawl-idx");

        var result = await CliRunner.RunAsync(["crawl", .. _sim.ClusterArgs(password: "wrong-password"), "--index", index]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.False(Directory.Exists(index), "a failed crawl left " + index);
    }

    [Fact]
    public async Task Crawl_creates_the_index_and_read_verbs_then_find_it()
    {
        var index = Path.Combine(_dir, "crawl-idx");

        var crawl = await CliRunner.RunAsync(["crawl", .. _sim.ClusterArgs(), "--index", index]);
        Assert.True(crawl.ExitCode == 0, crawl.ToString());

        var crawled = System.Text.RegularExpressions.Regex.Match(crawl.Stdout, @"crawled ([\d,]+) objects");
        Assert.True(crawled.Success, crawl.ToString());
        var objects = long.Parse(crawled.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(objects > 100, crawl.ToString());
        Assert.Equal(objects, await CliRunner.CountRowsAsync(index));
    }
}
