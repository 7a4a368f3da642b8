using System.Text.RegularExpressions;

namespace Qindex.Cli.Tests.Commands;

/// <summary><c>qindex demo</c> as a user runs it: crawl, watch through a churn and a directory rename, verify.</summary>
public sealed partial class DemoCommandTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex(@"renaming (/.+?/) \(([\d,]+) objects\) to (/.+?/) and churning")]
    private static partial Regex RenameLine();

    [Fact]
    public async Task Demo_watches_a_churn_and_a_directory_rename_and_verifies_the_index_equals_the_cluster()
    {
        var result = await CliRunner.RunAsync(
            ["demo", "--objects", "3000", "--churn-ops", "150", "--seed", "7"],
            new Dictionary<string, string?> { ["TMPDIR"] = _dir },
            timeout: TimeSpan.FromSeconds(120));

        Assert.True(result.ExitCode == 0, result.ToString());
        var rename = RenameLine().Match(result.Stdout);
        Assert.True(rename.Success, result.ToString());
        var (from, objects, to) = (rename.Groups[1].Value, rename.Groups[2].Value, rename.Groups[3].Value);
        Assert.NotEqual(from, to);

        // The live query after the watcher settled finds every object of the renamed directory under its new path.
        Assert.Contains($"under {to} {objects.Replace(",", string.Empty, StringComparison.Ordinal)}", result.Stdout, StringComparison.Ordinal);
        // The index is compared from the events alone (no restart, no catch-up) and says what each
        // count is; then, after the catch-up, nothing may differ.
        Assert.Contains("watcher still running, no restart", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("rows (one per path: files, directories, symlinks, other objects): cluster walk", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("the index equals the cluster", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("missing 0, extra 0, different 0", result.Stdout, StringComparison.Ordinal);

        // The temporary index is gone.
        Assert.Empty(Directory.GetDirectories(_dir, "qindex-demo-*"));
    }
}
