namespace Qindex.Cli.Tests.Commands;

/// <summary>Issue 7 item 2: an import never replaces a good index with nothing.</summary>
public sealed class ImportCommandTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Import_of_an_empty_file_is_refused_and_the_index_keeps_its_rows()
    {
        var index = Path.Combine(_dir, "idx");
        await CliRunner.ImportRowsAsync(index, 50);
        var empty = Path.Combine(_dir, "empty.ndjson");
        await File.WriteAllTextAsync(empty, "");

        var result = await CliRunner.RunAsync(["import", "--index", index, empty]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("refused", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("no rows", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(50, await CliRunner.CountRowsAsync(index));
    }

    [Fact]
    public async Task Import_whose_lines_are_all_bad_is_refused_naming_the_count_and_the_first_bad_lines()
    {
        var index = Path.Combine(_dir, "idx");
        await CliRunner.ImportRowsAsync(index, 50);
        var bad = Path.Combine(_dir, "bad.ndjson");
        await File.WriteAllLinesAsync(bad, ["{not json", "{\"name\":\"no path\"}", "[1,2]"]);

        var result = await CliRunner.RunAsync(["import", "--index", index, bad]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("none of the 3 lines", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(bad + ":1:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(bad + ":2:", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(50, await CliRunner.CountRowsAsync(index));
    }

    [Fact]
    public async Task Import_with_more_bad_lines_than_max_bad_fraction_is_refused_and_accepted_when_allowed()
    {
        var index = Path.Combine(_dir, "idx");
        await CliRunner.ImportRowsAsync(index, 50);
        var mixed = Path.Combine(_dir, "mixed.ndjson");
        var lines = Enumerable.Range(0, 98).Select(i => CliRunner.NdjsonLine($"/mixed/f{i}", i)).ToList();
        lines.Insert(10, "{broken");
        lines.Insert(20, "{broken too");
        await File.WriteAllLinesAsync(mixed, lines);

        var refused = await CliRunner.RunAsync(["import", "--index", index, mixed]);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("2 of 100 lines are bad", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("--max-bad-fraction", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains(mixed + ":11:", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(50, await CliRunner.CountRowsAsync(index));

        var allowed = await CliRunner.RunAsync(["import", "--index", index, "--max-bad-fraction", "0.05", mixed]);
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Equal(98, await CliRunner.CountRowsAsync(index));
    }

    [Fact]
    public async Task Refused_import_into_a_new_directory_leaves_no_directory_behind()
    {
        var index = Path.Combine(_dir, "new-idx");
        var empty = Path.Combine(_dir, "empty.ndjson");
        await File.WriteAllTextAsync(empty, "\n\n");

        var result = await CliRunner.RunAsync(["import", "--index", index, empty]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.False(Directory.Exists(index), "a refused import left " + index);
    }
}
