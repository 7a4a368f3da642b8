using Qindex.Iceberg.Catalog;
using Qindex.Iceberg.IO;
using Qindex.Iceberg.Table;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>Review finding 8: a commit costs the change, not the table: no expiry inside it, and a bounded manifest count.</summary>
public sealed class CommitHousekeepingTests : IDisposable
{
    private readonly string _dir = PipelineFixtures.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public async Task A_commit_never_expires_snapshots_the_expiry_call_does()
    {
        var location = new IndexLocation(_dir);
        await using (var store = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30))
        {
            await ChangeSetTests.ReplaceAsync(store, ChangeSetTests.Tree());
        }

        // Three snapshots stamped two hours ago, by another handle on the same table.
        await using (var catalog = await SqlCatalog.OpenSqliteAsync(Path.Combine(_dir, "catalog.db"), FileIOFactory.ToLocation(Path.Combine(_dir, "warehouse")), CancellationToken.None))
        {
            using var aged = await IcebergTable.LoadOrCreateAsync(catalog, IcebergIndexStore.TableName, IcebergIndexStore.Schema, IcebergIndexStore.SortOrder, new Dictionary<string, string>(), CancellationToken.None, new FixedTime(DateTimeOffset.UtcNow.AddHours(-2)));
            for (int i = 0; i < 3; i++)
            {
                await aged.CommitAsync(new FileChange(), CancellationToken.None);
            }
        }

        await using (var store = await IcebergIndexStore.OpenAsync(location, CancellationToken.None, runRows: 30))
        {
            await ChangeSetTests.ReplaceAsync(store, ChangeSetTests.Tree());
            await using (var changes = store.BeginChanges())
            {
                changes.Delete("/a/f00");
                await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }

            Assert.Equal(6, (await store.GetStatusAsync(CancellationToken.None)).Snapshots);
            var expiry = await store.ExpireSnapshotsAsync(CancellationToken.None);
            Assert.Equal(3, expiry.SnapshotsRemoved);
            Assert.Equal(3, (await store.GetStatusAsync(CancellationToken.None)).Snapshots);
            Assert.Equal(ChangeSetTests.Tree().Count - 1, (await ChangeSetTests.QueryAsync(store)).Count);
        }
    }

    [Fact]
    public async Task Manifests_are_merged_so_their_count_stays_bounded()
    {
        await using var store = await IcebergIndexStore.OpenAsync(new IndexLocation(_dir), CancellationToken.None, runRows: 30);
        var expected = ChangeSetTests.Tree();
        await ChangeSetTests.ReplaceAsync(store, expected);
        for (int i = 0; i < 3 * IcebergIndexStore.MinManifestsToMerge; i++)
        {
            await using var changes = store.BeginChanges();
            changes.Upsert(ChangeSetTests.Row($"/a/f{i % 40:D2}", i));
            changes.Upsert(ChangeSetTests.Row($"/new{i}", i));
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            expected[$"/a/f{i % 40:D2}"] = i;
            expected[$"/new{i}"] = i;
        }

        var manifests = await store.Table.ReadManifestListAsync(store.Table.Metadata.CurrentSnapshot!, CancellationToken.None);
        Assert.InRange(manifests.Count, 2, (2 * IcebergIndexStore.MinManifestsToMerge) + 2);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), (await ChangeSetTests.QueryAsync(store)).OrderBy(p => p.Key, StringComparer.Ordinal));
        using var read = await NodeReaders.ReadIcebergAsync(store.Table.MetadataLocation);
        Assert.Equal(expected.Count, read.RootElement.GetArrayLength());
    }
}
