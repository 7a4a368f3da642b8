using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>Review finding 5 of issue 8: readers given only the table folder find the current metadata.</summary>
public sealed class VersionHintTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task ReplaceAsync(IIndexStore store, params string[] paths)
    {
        await using var writer = store.BeginReplace();
        foreach (var path in paths)
        {
            await writer.AddAsync(new FileRecord { Path = path, Name = Path.GetFileName(path), Size = path.Length }, CancellationToken.None);
        }

        await writer.CommitAsync(null, CancellationToken.None);
    }

    [Fact]
    public async Task Icebird_reads_the_current_snapshot_given_only_the_table_folder()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None);
        await ReplaceAsync(store, "/old/a", "/old/b");
        await ReplaceAsync(store, "/new/c", "/new/d", "/new/e");

        string table = store.Table.Metadata.Location;
        using var rows = await NodeReaders.ReadIcebergAsync(table);
        var paths = rows.RootElement.EnumerateArray().Select(r => r.GetProperty("path").GetString()).Order(StringComparer.Ordinal);
        Assert.Equal(["/new/c", "/new/d", "/new/e"], paths);

        // Hadoop's layout: the hint names vN.metadata.json, a copy of the catalog's current file.
        string metadataDir = Path.Combine(new Uri(table).LocalPath, "metadata");
        string hint = (await File.ReadAllTextAsync(Path.Combine(metadataDir, "version-hint.text"))).Trim();
        Assert.Equal(
            await File.ReadAllTextAsync(new Uri(store.Table.MetadataLocation).LocalPath),
            await File.ReadAllTextAsync(Path.Combine(metadataDir, $"v{hint}.metadata.json")));
    }
}
