using Qindex.Simulator.Generation;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Tests.Model;

/// <summary>One test per row of docs/simulator-event-model.md.</summary>
public class ModelEventTests
{
    private static ClusterModel Tree() => new TreeBuilder()
        .Directory("/w/d/e")
        .File("/w/d/f", 10)
        .File("/w/top")
        .Directory("/x")
        .File("/x/outside")
        .Build(new ManualClusterClock(FsTimestamp.Parse("2024-01-01T00:00:00Z")));

    private static List<(string Type, string Path)> Drain(NotificationSubscription sub)
    {
        var list = new List<(string, string)>();
        while (sub.Reader.TryRead(out var n))
        {
            list.Add((n.Type, n.Path));
        }

        return list;
    }

    private static List<(string Type, string Path)> Run(ClusterModel model, Action<ClusterModel> action, string watched = "/w", bool recursive = true)
    {
        using var sub = model.Subscribe(watched, recursive);
        action(model);
        return Drain(sub);
    }

    [Fact]
    public void Create_file_gives_file_added_then_parent_mtime()
    {
        var events = Run(Tree(), m => m.CreateFile("/w/d/", "new file"));
        Assert.Equal([("child_file_added", "d/new file"), ("child_mtime_changed", "d")], events);
    }

    [Fact]
    public void Create_in_watched_directory_itself_gives_only_the_added_event()
    {
        var events = Run(Tree(), m => m.CreateFile("/w/", "n"));
        Assert.Equal([("child_file_added", "n")], events);
    }

    [Fact]
    public void Create_directory_gives_dir_added()
    {
        var events = Run(Tree(), m => m.CreateDirectory("/w/d/", "sub"));
        Assert.Equal([("child_dir_added", "d/sub"), ("child_mtime_changed", "d")], events);
    }

    [Fact]
    public void Create_symlink_unix_file_and_hard_link_give_file_added()
    {
        var model = Tree();
        var events = Run(model, m =>
        {
            m.CreateSymlink("/w/d/", "ln", "f", SymlinkTargetType.File);
            m.CreateUnixFile("/w/d/", "pipe", FileType.UnixPipe);
            m.CreateLink("/w/d/", "hard", "/w/d/f");
        });
        Assert.Equal(
            [
                ("child_file_added", "d/ln"), ("child_mtime_changed", "d"),
                ("child_file_added", "d/pipe"), ("child_mtime_changed", "d"),
                ("child_file_added", "d/hard"), ("child_mtime_changed", "d"),
            ],
            events);
        Assert.Equal(2, model.GetAttributes("/w/d/hard").NumLinks);
        Assert.Equal(model.GetAttributes("/w/d/f").Id, model.GetAttributes("/w/d/hard").Id);
    }

    [Fact]
    public void Write_gives_data_written_size_changed_mtime_changed()
    {
        var events = Run(Tree(), m => m.WriteData("/w/d/f", 5, 100));
        Assert.Equal([("child_data_written", "d/f"), ("child_size_changed", "d/f"), ("child_mtime_changed", "d/f")], events);
    }

    [Fact]
    public void Write_inside_the_file_does_not_change_size()
    {
        var events = Run(Tree(), m => m.WriteData("/w/d/f", 0, 5));
        Assert.Equal([("child_data_written", "d/f"), ("child_mtime_changed", "d/f")], events);
    }

    [Fact]
    public void Replace_data_gives_the_same_events_as_a_write()
    {
        var events = Run(Tree(), m => m.ReplaceData("/w/d/f", 1));
        Assert.Equal([("child_data_written", "d/f"), ("child_size_changed", "d/f"), ("child_mtime_changed", "d/f")], events);
    }

    [Fact]
    public void Rename_within_a_directory_gives_moved_from_moved_to_and_one_parent_mtime()
    {
        var events = Run(Tree(), m => m.Rename("/w/d/", "g", "/w/d/f"));
        Assert.Equal([("child_file_moved_from", "d/f"), ("child_file_moved_to", "d/g"), ("child_mtime_changed", "d")], events);
    }

    [Fact]
    public void Rename_directory_gives_one_pair_and_nothing_for_descendants()
    {
        var model = Tree();
        var events = Run(model, m => m.Rename("/w/", "d2", "/w/d"));
        Assert.Equal([("child_dir_moved_from", "d"), ("child_dir_moved_to", "d2")], events);
        Assert.Equal("/w/d2/f", model.GetAttributes("/w/d2/f").Path);
    }

    [Fact]
    public void Move_out_of_the_watched_tree_gives_only_moved_from()
    {
        var events = Run(Tree(), m => m.Rename("/x/", "f", "/w/d/f"));
        Assert.Equal([("child_file_moved_from", "d/f"), ("child_mtime_changed", "d")], events);
    }

    [Fact]
    public void Move_into_the_watched_tree_gives_only_moved_to()
    {
        var events = Run(Tree(), m => m.Rename("/w/d/", "in", "/x/outside"));
        Assert.Equal([("child_file_moved_to", "d/in"), ("child_mtime_changed", "d")], events);
    }

    [Fact]
    public void Rename_with_clobber_removes_the_target_first()
    {
        var events = Run(Tree(), m => m.Rename("/w/d/", "f", "/w/top", clobber: true));
        Assert.Equal(
            [("child_file_removed", "d/f"), ("child_file_moved_from", "top"), ("child_file_moved_to", "d/f"), ("child_mtime_changed", "d")],
            events);
    }

    [Fact]
    public void Delete_file_gives_file_removed_then_parent_mtime()
    {
        var events = Run(Tree(), m => m.Delete("/w/d/f"));
        Assert.Equal([("child_file_removed", "d/f"), ("child_mtime_changed", "d")], events);
    }

    [Fact]
    public void Delete_directory_gives_dir_removed()
    {
        var events = Run(Tree(), m => m.Delete("/w/d/e/"));
        Assert.Equal([("child_dir_removed", "d/e"), ("child_mtime_changed", "d")], events);
    }

    [Fact]
    public async Task Removing_the_watched_directory_sends_self_removed_and_completes()
    {
        var model = Tree();
        var sub = model.Subscribe("/w/d/e", recursive: true);
        model.Delete("/w/d/e");
        var all = new List<Notification>();
        await foreach (var n in sub.Reader.ReadAllAsync())
        {
            all.Add(n);
        }

        var only = Assert.Single(all);
        Assert.Equal("self_removed", only.Type);
        Assert.Equal(0, model.WatcherCount);
    }

    [Fact]
    public void Patch_gives_one_event_per_changed_attribute_in_a_fixed_order()
    {
        var events = Run(Tree(), m => m.PatchAttributes("/w/d/f", new AttributePatch
        {
            OwnerDetails = new Identity(IdentityType.NfsUid, "1001"),
            GroupDetails = new Identity(IdentityType.NfsGid, "100"),
            Mode = Convert.ToInt32("600", 8),
            Size = 99,
            AccessTime = FsTimestamp.Parse("2020-01-01T00:00:00Z"),
            ModificationTime = FsTimestamp.Parse("2020-01-02T00:00:00Z"),
            CreationTime = FsTimestamp.Parse("2019-01-01T00:00:00Z"),
            ExtendedAttributes = new ExtendedAttributes(Hidden: true),
        }));
        Assert.Equal(
            [
                ("child_owner_changed", "d/f"), ("child_group_changed", "d/f"), ("child_acl_changed", "d/f"),
                ("child_size_changed", "d/f"), ("child_atime_changed", "d/f"), ("child_mtime_changed", "d/f"),
                ("child_btime_changed", "d/f"), ("child_extra_attrs_changed", "d/f"),
            ],
            events);
    }

    [Fact]
    public void Streams_give_stream_events_with_the_stream_name()
    {
        var model = Tree();
        using var sub = model.Subscribe("/w", recursive: true);
        model.CreateStream("/w/d/f", "zone");
        model.WriteStream("/w/d/f", "zone", 0, 10);
        model.DeleteStream("/w/d/f", "zone");
        var all = new List<Notification>();
        while (sub.Reader.TryRead(out var n))
        {
            all.Add(n);
        }

        Assert.Equal(
            ["child_stream_added", "child_stream_data_written", "child_stream_size_changed", "child_stream_removed"],
            all.Select(n => n.Type));
        Assert.All(all, n => Assert.Equal("zone", n.StreamName));
        Assert.All(all, n => Assert.Equal("d/f", n.Path));
    }

    [Fact]
    public void Non_recursive_watch_sees_only_direct_children()
    {
        var events = Run(Tree(), m =>
        {
            m.CreateFile("/w/d/", "deep");
            m.CreateFile("/w/", "shallow");
        }, recursive: false);
        Assert.Equal([("child_mtime_changed", "d"), ("child_file_added", "shallow")], events);
    }

    [Fact]
    public void Spine_starts_at_the_watched_directory_and_ends_at_the_object()
    {
        var model = Tree();
        using var sub = model.Subscribe("/w", recursive: true);
        var created = model.CreateFile("/w/d/", "s");
        Assert.True(sub.Reader.TryRead(out var n));
        Assert.Equal(
            [model.GetAttributes("/w").Id, model.GetAttributes("/w/d").Id, created.Id],
            n!.Spine);
        Assert.Null(n.StreamName);
    }

    [Fact]
    public void Filter_keeps_only_the_listed_types()
    {
        var model = Tree();
        using var sub = model.Subscribe("/w", recursive: true, ["child_file_removed"]);
        model.CreateFile("/w/d/", "a");
        model.Delete("/w/d/a");
        Assert.Equal([("child_file_removed", "d/a")], Drain(sub));
        Assert.Throws<ClusterException>(() => model.Subscribe("/w", true, ["no_such_event"]));
    }

    [Fact]
    public async Task Slow_watcher_is_dropped_with_an_overflow_error_and_does_not_block()
    {
        var model = Tree();
        var sub = model.Subscribe("/w", recursive: true, capacity: 3);
        for (int i = 0; i < 10; i++)
        {
            model.CreateFile("/w/", $"f{i}");
        }

        Assert.Equal(0, model.WatcherCount);
        await Assert.ThrowsAsync<WatchOverflowException>(async () =>
        {
            await foreach (var unused in sub.Reader.ReadAllAsync())
            {
                Assert.NotNull(unused);
            }
        });
    }

    [Fact]
    public void Dispose_unsubscribes_and_completes_the_reader()
    {
        var model = Tree();
        var sub = model.Subscribe("/w", recursive: true);
        Assert.Equal(1, model.WatcherCount);
        sub.Dispose();
        Assert.Equal(0, model.WatcherCount);
        Assert.True(sub.Reader.Completion.IsCompleted);
        model.CreateFile("/w/", "after");
        Assert.False(sub.Reader.TryRead(out _));
    }

    [Fact]
    public void Parent_attributes_follow_entry_changes()
    {
        var model = Tree();
        var before = model.GetAttributes("/w/d");
        model.CreateFile("/w/d/", "n");
        var after = model.GetAttributes("/w/d");
        Assert.Equal(before.ChildCount + 1, after.ChildCount);
        Assert.True(after.ModificationTime > before.ModificationTime);
        Assert.True(after.ChangeTime > before.ChangeTime);
    }
}
