using Qindex.Index.Compaction;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Index.Tests.Store;

namespace Qindex.Index.Tests.Compaction;

/// <summary>Orphan files of killed writes are removed after a safety window; the changes table logs each applied change.</summary>
public sealed class OrphanAndChangesTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Files_no_snapshot_references_are_removed_once_older_than_the_window()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        await ChangeSetTests.ReplaceAsync(store, ChangeSetTests.Tree());
        string data = Path.Combine(_dir, "warehouse", "qindex", "files", "data");
        string metadata = Path.Combine(_dir, "warehouse", "qindex", "files", "metadata");

        // What a killed write leaves: a data file and a manifest nothing references, one old, one new.
        string oldOrphan = Path.Combine(data, "killed-old.parquet");
        string youngOrphan = Path.Combine(data, "killed-young.parquet");
        string oldManifest = Path.Combine(metadata, "killed-m0.avro");
        foreach (var f in new[] { oldOrphan, youngOrphan, oldManifest })
        {
            await File.WriteAllTextAsync(f, "partial");
        }

        File.SetLastWriteTimeUtc(oldOrphan, DateTime.UtcNow.AddHours(-5));
        File.SetLastWriteTimeUtc(oldManifest, DateTime.UtcNow.AddHours(-5));
        var metadataJson = Directory.GetFiles(metadata, "*.json");
        foreach (var f in Directory.GetFiles(data).Concat(metadataJson))
        {
            if (f != youngOrphan)
            {
                File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-5));
            }
        }

        var result = await OrphanFiles.RemoveAsync(store, TimeSpan.FromHours(1), CancellationToken.None);
        Assert.Equal(2, result.Removed);
        Assert.Equal(1, result.TooYoung);
        Assert.False(File.Exists(oldOrphan));
        Assert.False(File.Exists(oldManifest));
        Assert.True(File.Exists(youngOrphan));
        Assert.All(metadataJson, f => Assert.True(File.Exists(f)));
        Assert.Equal(ChangeSetTests.Tree().Count, (await ChangeSetTests.QueryAsync(store)).Count);
    }

    [Fact]
    public async Task Each_change_is_logged_in_the_changes_view_and_expires_by_retention()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        await ChangeSetTests.ReplaceAsync(store, ChangeSetTests.Tree());
        await using (var changes = store.BeginChanges())
        {
            changes.Upsert(ChangeSetTests.Row("/a/f01", 7));
            changes.Upsert(ChangeSetTests.Row("/new\n'%\u00e9", 8));
            changes.Delete("/c/h02");
            changes.MoveSubtree("/a/b/odd/", "/c/o/");
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        await using (var engine = await QueryEngine.OpenAsync(store, CancellationToken.None))
        {
            var rows = (await engine.QueryAsync("SELECT kind, path, previous_path, size_before, size_after FROM changes ORDER BY path", CancellationToken.None)).Rows;
            Assert.Contains(rows, r => (string)r[0]! == "update" && (string)r[1]! == "/a/f01" && (long)r[3]! == 101 && (long)r[4]! == 7);
            Assert.Contains(rows, r => (string)r[0]! == "insert" && (string)r[1]! == "/new\n'%\u00e9" && r[3] is null && (long)r[4]! == 8);
            Assert.Contains(rows, r => (string)r[0]! == "delete" && (string)r[1]! == "/c/h02" && (long)r[3]! == 302 && r[4] is null);
            Assert.Contains(rows, r => (string)r[0]! == "rename" && (string)r[1]! == "/c/o/" && (string)r[2]! == "/a/b/odd/");
            Assert.Equal(3 + PipelineFixtures.OddPaths.Length + 1, rows.Count); // update, insert, delete, and a rename per moved row
            var times = await engine.QueryAsync("SELECT count(DISTINCT \"time\"), min(\"time\") > TIMESTAMP '2026-01-01' FROM changes", CancellationToken.None);
            Assert.Equal(1L, times.Rows[0][0]);
        }

        // A retention of millennia (the command line takes up to thousands of years) keeps everything.
        store.ChangesRetention = TimeSpan.FromDays(3_000_000);
        Assert.Equal(0, (await store.MaintainChangesAsync(16, CancellationToken.None)).Expired);

        store.ChangesRetention = TimeSpan.Zero;
        var (expired, _) = await store.MaintainChangesAsync(16, CancellationToken.None);
        Assert.Equal(1, expired);
        await using var after = await QueryEngine.OpenAsync(store, CancellationToken.None);
        Assert.Equal(0L, (await after.QueryAsync("SELECT count(*) FROM changes", CancellationToken.None)).Rows[0][0]);
    }
}
