using Qindex.Index.Records;
using Qindex.Index.Watch;

namespace Qindex.Index.Tests.Watch;

public sealed class BufferedChangeSetTests
{
    [Fact]
    public async Task Replayed_changes_give_what_the_same_changes_made_directly_give()
    {
        static void Make(Qindex.Index.Store.IIndexChangeSet changes)
        {
            changes.Upsert(new FileRecord { Path = "/w/a/", Name = "a" });
            changes.Upsert(new FileRecord { Path = "/w/a/x", Name = "x", Size = 1 });
            changes.Upsert(new FileRecord { Path = "/w/a/y", Name = "y", Size = 2 });
            changes.MoveSubtree("/w/a/", "/w/b/");
            changes.Upsert(new FileRecord { Path = "/w/a/", Name = "a" });
            changes.Delete("/w/b/x");
            changes.Upsert(new FileRecord { Path = "/w/c/", Name = "c" });
            changes.Upsert(new FileRecord { Path = "/w/c/z", Name = "z" });
            changes.DeleteSubtree("/w/c/");
            changes.Upsert(new FileRecord { Path = "/w/b/x", Name = "x", Size = 3 });
        }

        var direct = new MemoryIndexStore();
        await using (var changes = direct.BeginChanges())
        {
            Make(changes);
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        var buffered = new BufferedChangeSet();
        Make(buffered);
        Assert.Equal(10, buffered.Count);
        var replayed = new MemoryIndexStore();
        await using (var changes = replayed.BeginChanges())
        {
            buffered.ReplayInto(changes);
            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        Assert.Equal(direct.Rows.OrderBy(r => r.Key, StringComparer.Ordinal), replayed.Rows.OrderBy(r => r.Key, StringComparer.Ordinal));
        Assert.Equal(["/w/a/", "/w/b/", "/w/b/x", "/w/b/y"], replayed.Rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, replayed.Rows["/w/b/x"].Size);
        await Assert.ThrowsAsync<NotSupportedException>(() => buffered.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None));
    }
}
