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

    [Fact]
    public async Task Changes_taken_as_a_part_and_those_after_committed_in_turn_give_what_one_commit_gives()
    {
        var direct = new MemoryIndexStore();
        var parted = new MemoryIndexStore();
        var buffered = new BufferedChangeSet();
        await using (var changes = direct.BeginChanges())
        {
            foreach (var target in new Qindex.Index.Store.IIndexChangeSet[] { changes, buffered })
            {
                target.Upsert(new FileRecord { Path = "/w/old/", Name = "old" });
                target.Upsert(new FileRecord { Path = "/w/old/x", Name = "x" });
                target.NoteRename("/w/x", "/w/old/x");
                target.DeleteSubtree("/w/in/");
                target.Upsert(new FileRecord { Path = "/w/in/", Name = "in" });
            }

            var part = buffered.TakeAll();
            Assert.Equal(4, part.Count);
            Assert.Equal(0, buffered.Count);
            await using (var first = parted.BeginChanges())
            {
                part.ReplayInto(first);
                await first.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
            }

            foreach (var target in new Qindex.Index.Store.IIndexChangeSet[] { changes, buffered })
            {
                target.Upsert(new FileRecord { Path = "/w/in/a", Name = "a" });
                target.MoveSubtree("/w/old/", "/w/in/old/");
            }

            await changes.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        Assert.Equal(2, buffered.Count);
        await using (var rest = parted.BeginChanges())
        {
            buffered.ReplayInto(rest);
            await rest.CommitAsync(null, new Dictionary<string, string>(), CancellationToken.None);
        }

        Assert.Equal(["/w/in/", "/w/in/a", "/w/in/old/", "/w/in/old/x"], parted.Rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(direct.Rows.OrderBy(r => r.Key, StringComparer.Ordinal), parted.Rows.OrderBy(r => r.Key, StringComparer.Ordinal));
    }
}
