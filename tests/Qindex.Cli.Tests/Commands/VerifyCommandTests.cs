namespace Qindex.Cli.Tests.Commands;

/// <summary><c>qindex verify</c> as a user runs it: its verdict, its report and its exit codes (0 equal, 1 different, 3 could not compare).</summary>
public sealed class VerifyCommandTests : IClassFixture<SimulatorFixture>, IDisposable
{
    private readonly SimulatorFixture _sim;
    private readonly string _dir = CliRunner.TempDir();

    public VerifyCommandTests(SimulatorFixture sim) => _sim = sim;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Verify_exits_0_when_equal_and_1_with_the_differences_when_not()
    {
        var index = Path.Combine(_dir, "idx");
        _sim.Server.Cluster.CreateDirectory("/", "verify cli");
        var crawl = await CliRunner.RunAsync(["crawl", .. _sim.ClusterArgs(), "--path", "/verify cli", "--index", index]);
        Assert.True(crawl.ExitCode == 0, crawl.ToString());

        var equal = await CliRunner.RunAsync(["verify", .. _sim.ClusterArgs(), "--path", "/verify cli", "--index", index]);
        Assert.True(equal.ExitCode == 0, equal.ToString());
        Assert.Contains("the index equals the cluster", equal.Stdout, StringComparison.Ordinal);

        _sim.Server.Cluster.CreateFile("/verify cli/", "new\nline 'file'");
        var different = await CliRunner.RunAsync(["verify", .. _sim.ClusterArgs(), "--path", "/verify cli", "--index", index]);
        Assert.True(different.ExitCode == 1, different.ToString());
        Assert.Contains("missing from the index: 1", different.Stdout, StringComparison.Ordinal);
        Assert.Contains("  /verify cli/new\\nline 'file'", different.Stdout, StringComparison.Ordinal);
        Assert.Contains("different: 1 (columns:", different.Stdout, StringComparison.Ordinal);
        Assert.Contains("the index differs from the cluster", different.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_exits_3_when_it_cannot_compare()
    {
        var noIndex = await CliRunner.RunAsync(["verify", .. _sim.ClusterArgs(), "--index", Path.Combine(_dir, "none")]);
        Assert.True(noIndex.ExitCode == 3, noIndex.ToString());
        Assert.Contains("no index", noIndex.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "none")), "verify created an index");
    }
}
