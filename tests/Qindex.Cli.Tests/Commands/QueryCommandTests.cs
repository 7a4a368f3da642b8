namespace Qindex.Cli.Tests.Commands;

/// <summary>Issue 7 item 8: what the SQL of qindex query may touch.</summary>
public sealed class QueryCommandTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();
    private readonly string _index;

    public QueryCommandTests() => _index = Path.Combine(_dir, "idx");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Query_never_installs_or_loads_extensions_on_demand()
    {
        await CliRunner.ImportRowsAsync(_index, 10);

        var result = await CliRunner.RunAsync(["query", "--index", _index, "--format", "csv",
            "SELECT current_setting('autoinstall_known_extensions') AS install, current_setting('autoload_known_extensions') AS load"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("install,load\nfalse,false", result.Stdout.Trim().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Read_only_query_reads_the_index_but_refuses_copy_to_other_files_and_attach()
    {
        await CliRunner.ImportRowsAsync(_index, 10);
        var stolen = Path.Combine(_dir, "copied.csv");
        var attached = Path.Combine(_dir, "attached.db");
        var secret = Path.Combine(_dir, "secret.csv");
        await File.WriteAllTextAsync(secret, "a,b\n1,2\n");

        var count = await CliRunner.RunAsync(["query", "--index", _index, "--read-only", "--format", "csv", "SELECT count(*) AS n FROM files"]);
        Assert.True(count.ExitCode == 0, count.ToString());
        Assert.Contains("10", count.Stdout, StringComparison.Ordinal);

        foreach (var sql in new[]
        {
            $"COPY (SELECT * FROM files) TO '{stolen}'",
            $"SELECT * FROM read_csv('{secret}')",
            "SELECT * FROM read_csv('/etc/passwd')",
            $"ATTACH '{attached}' AS other",
            "SET enable_external_access = true",
        })
        {
            var result = await CliRunner.RunAsync(["query", "--index", _index, "--read-only", sql]);
            Assert.True(result.ExitCode == 1, sql + "\n" + result);
            Assert.DoesNotContain("a,b", result.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("root:", result.Stdout, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(stolen));
        Assert.False(File.Exists(attached));
    }

    [Fact]
    public async Task Read_only_query_still_writes_its_own_out_file()
    {
        await CliRunner.ImportRowsAsync(_index, 10);
        var parquet = Path.Combine(_dir, "result.parquet");
        var csv = Path.Combine(_dir, "result.csv");

        var p = await CliRunner.RunAsync(["query", "--index", _index, "--read-only", "--format", "parquet", "--out", parquet, "SELECT path FROM files"]);
        var c = await CliRunner.RunAsync(["query", "--index", _index, "--read-only", "--format", "csv", "--out", csv, "SELECT path FROM files"]);

        Assert.True(p.ExitCode == 0, p.ToString());
        Assert.True(c.ExitCode == 0, c.ToString());
        Assert.True(new FileInfo(parquet).Length > 0);
        Assert.Equal(11, File.ReadAllLines(csv).Length);
    }

    [Fact]
    public async Task Trusted_query_without_read_only_may_read_local_files()
    {
        await CliRunner.ImportRowsAsync(_index, 10);
        var local = Path.Combine(_dir, "local.csv");
        await File.WriteAllTextAsync(local, "a,b\n1,2\n");

        var result = await CliRunner.RunAsync(["query", "--index", _index, "--format", "csv", $"SELECT b FROM read_csv('{local}')"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("b\n2", result.Stdout.Trim().ReplaceLineEndings("\n"));
    }
}
