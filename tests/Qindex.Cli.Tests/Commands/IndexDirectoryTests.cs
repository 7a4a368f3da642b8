using System.Diagnostics;
using System.Security.Cryptography;

namespace Qindex.Cli.Tests.Commands;

/// <summary>Issue 7 item 5: an index directory can be moved and copied.</summary>
public sealed class IndexDirectoryTests : IClassFixture<SimulatorFixture>, IDisposable
{
    private readonly SimulatorFixture _sim;
    private readonly string _dir = CliRunner.TempDir();

    public IndexDirectoryTests(SimulatorFixture sim) => _sim = sim;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Moved_index_answers_every_verb_and_its_metadata_names_the_new_place_after_a_write()
    {
        var before = Path.Combine(_dir, "idx");
        var after = Path.Combine(_dir, "idx2");
        await CliRunner.ImportRowsAsync(before, 40);
        await CliRunner.ImportRowsAsync(before, 30);
        Directory.Move(before, after);

        Assert.Equal(30, await CliRunner.CountRowsAsync(after));
        var status = await CliRunner.RunAsync(["status", "--index", after, "--json"]);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains(after, status.Stdout, StringComparison.Ordinal);
        var export = await CliRunner.RunAsync(["export", "--index", after, "--parquet", Path.Combine(_dir, "out")]);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.Contains("exported 30 rows", export.Stdout, StringComparison.Ordinal);

        await CliRunner.ImportRowsAsync(after, 25);
        Assert.Equal(25, await CliRunner.CountRowsAsync(after));
        Assert.False(Directory.Exists(before), "a verb recreated the old directory");
        AssertNoFileNames(after, before + "/");
    }

    [Fact]
    public async Task Crawl_into_a_copied_index_never_writes_into_the_original()
    {
        var original = Path.Combine(_dir, "idx0");
        var copy = Path.Combine(_dir, "idx5");
        await CliRunner.ImportRowsAsync(original, 40);
        using (var cp = Process.Start("cp", ["-a", original, copy]))
        {
            await cp.WaitForExitAsync();
            Assert.Equal(0, cp.ExitCode);
        }

        var originalFiles = Fingerprint(original);

        var crawl = await CliRunner.RunAsync(["crawl", .. _sim.ClusterArgs(), "--index", copy]);
        Assert.True(crawl.ExitCode == 0, crawl.ToString());
        var again = await CliRunner.RunAsync(["crawl", .. _sim.ClusterArgs(), "--index", copy]);
        Assert.True(again.ExitCode == 0, again.ToString());

        Assert.Equal(originalFiles, Fingerprint(original));
        Assert.Equal(40, await CliRunner.CountRowsAsync(original));
        Assert.True(await CliRunner.CountRowsAsync(copy) > 100);
        AssertNoFileNames(copy, original + "/");
    }

    /// <summary>Every file under <paramref name="directory"/> with its length and content hash.</summary>
    private static string Fingerprint(string directory) => string.Join('\n', Directory
        .EnumerateFiles(directory, "*", SearchOption.AllDirectories)
        .Order(StringComparer.Ordinal)
        .Select(f => $"{Path.GetRelativePath(directory, f)} {new FileInfo(f).Length} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))}"));

    /// <summary>No metadata file, manifest list or manifest that a reader follows names <paramref name="oldPrefix"/>.</summary>
    private static void AssertNoFileNames(string index, string oldPrefix)
    {
        using var catalog = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(index, "catalog.db")};Mode=ReadOnly;Pooling=False");
        catalog.Open();
        using var command = catalog.CreateCommand();
        command.CommandText = "SELECT metadata_location FROM iceberg_tables";
        var current = (string)command.ExecuteScalar()!;
        Assert.StartsWith(new Uri(index).AbsoluteUri + "/", current, StringComparison.Ordinal);
        var metadata = File.ReadAllText(new Uri(current).LocalPath);
        Assert.DoesNotContain(oldPrefix, metadata, StringComparison.Ordinal);
        using var doc = System.Text.Json.JsonDocument.Parse(metadata);
        var id = doc.RootElement.GetProperty("current-snapshot-id").GetInt64();
        var snapshot = doc.RootElement.GetProperty("snapshots").EnumerateArray().Single(s => s.GetProperty("snapshot-id").GetInt64() == id);
        var list = new Uri(snapshot.GetProperty("manifest-list").GetString()!).LocalPath;
        var listBytes = File.ReadAllBytes(list);
        Assert.True(listBytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(oldPrefix)) < 0, "the manifest list names the old place");
        foreach (var manifest in Qindex.Iceberg.Spec.Manifest.ReadList(listBytes, list))
        {
            var path = new Uri(manifest.ManifestPath).LocalPath;
            Assert.True(File.Exists(path), path);
            foreach (var entry in Qindex.Iceberg.Spec.Manifest.Read(File.ReadAllBytes(path), path).Where(e => e.Status != Qindex.Iceberg.Spec.ManifestEntryStatus.Deleted))
            {
                Assert.DoesNotContain(oldPrefix, entry.DataFile.FilePath, StringComparison.Ordinal);
                Assert.True(File.Exists(new Uri(entry.DataFile.FilePath).LocalPath), entry.DataFile.FilePath);
            }
        }
    }
}
