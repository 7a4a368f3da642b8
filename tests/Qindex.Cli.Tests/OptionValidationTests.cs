namespace Qindex.Cli.Tests;

/// <summary>Issue 7 item 10: bad option values are usage errors (exit 2) whose message names the option.</summary>
public sealed class OptionValidationTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("--concurrency", "crawl --host 127.0.0.1 --user a --password b --index IDX --concurrency 0")]
    [InlineData("--port", "crawl --host 127.0.0.1 --port 70000 --user a --password b --index IDX")]
    [InlineData("--path", "crawl --host 127.0.0.1 --user a --password b --index IDX --path data/projects")]
    [InlineData("--path", "sim churn --host 127.0.0.1 --user a --password b --path data")]
    [InlineData("SQL", "query --index IDX ''")]
    [InlineData("--out", "query --index IDX --out DIR 'SELECT 1'")]
    [InlineData("--index", "status --index FILE")]
    [InlineData("--index", "crawl --host 127.0.0.1 --user a --password b --index FILE")]
    [InlineData("--objects", "sim serve --port 0 --objects 5")]
    [InlineData("--port", "sim serve --port 70000")]
    [InlineData("--fraction", "sim fault errors --host 127.0.0.1 --fraction 2")]
    [InlineData("--seconds", "sim fault errors --host 127.0.0.1 --seconds -5")]
    [InlineData("--max-bad-fraction", "import --index IDX --max-bad-fraction 1.5 FILE")]
    [InlineData("--format", "query --index IDX --format parquet 'SELECT 1'")]
    [InlineData("--catalog-uri", "status --index IDX --catalog-uri ftp://u:pw@host/")]
    [InlineData("--changes-retention", "compact --index IDX --changes-retention 0d")]
    [InlineData("--changes-retention", "watch --host 127.0.0.1 --user a --password b --index IDX --changes-retention 7")]
    public async Task Bad_value_is_a_usage_error_naming_the_option(string option, string commandLine)
    {
        var file = Path.Combine(_dir, "a-file.ndjson");
        await File.WriteAllTextAsync(file, "");
        var dir = Path.Combine(_dir, "a-dir");
        Directory.CreateDirectory(dir);
        var args = Split(commandLine).Select(a => a switch
        {
            "IDX" => Path.Combine(_dir, "idx"),
            "FILE" => file,
            "DIR" => dir,
            _ => a,
        }).ToArray();

        var result = await CliRunner.RunAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(option, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "idx")), "a usage error created the index");
    }

    [Fact]
    public async Task Unknown_verb_and_missing_option_are_usage_errors()
    {
        Assert.Equal(2, (await CliRunner.RunAsync(["bogus"])).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync(["status"])).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(["status", "--help"])).ExitCode);
    }

    private static IEnumerable<string> Split(string commandLine)
    {
        var parts = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in commandLine)
        {
            if (c == '\'')
            {
                quoted = !quoted;
                any = true;
            }
            else if (c == ' ' && !quoted)
            {
                if (any)
                {
                    parts.Add(current.ToString());
                }

                current.Clear();
                any = false;
            }
            else
            {
                current.Append(c);
                any = true;
            }
        }

        if (any)
        {
            parts.Add(current.ToString());
        }

        return parts;
    }
}
