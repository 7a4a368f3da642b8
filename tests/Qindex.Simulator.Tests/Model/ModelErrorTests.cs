using Qindex.Simulator.Generation;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Tests.Model;

public class ModelErrorTests
{
    private static ClusterModel Tree() => new TreeBuilder().File("/d/f").Directory("/d/sub").Directory("/empty").Build();

    private static ClusterException Fails(Action action) => Assert.Throws<ClusterException>(action);

    [Fact]
    public void Missing_entries_are_404_no_such_entry()
    {
        var model = Tree();
        foreach (var e in new[] { Fails(() => model.GetAttributes("/nope")), Fails(() => model.GetAttributes("999999")), Fails(() => model.Delete("/d/nope")) })
        {
            Assert.Equal(404, e.StatusCode);
            Assert.Equal("fs_no_such_entry_error", e.ErrorClass);
            Assert.False(string.IsNullOrEmpty(e.Module));
        }
    }

    [Fact]
    public void Existing_names_are_409_entry_exists()
    {
        var model = Tree();
        var e = Fails(() => model.CreateFile("/d/", "f"));
        Assert.Equal((409, "fs_entry_exists_error"), (e.StatusCode, e.ErrorClass));
        e = Fails(() => model.Rename("/d/", "f", "/empty"));
        Assert.Equal("fs_entry_exists_error", e.ErrorClass);
    }

    [Fact]
    public void Deleting_a_non_empty_directory_fails_and_changes_nothing()
    {
        var model = Tree();
        long version = model.Version;
        var e = Fails(() => model.Delete("/d"));
        Assert.Equal((409, "fs_directory_not_empty_error"), (e.StatusCode, e.ErrorClass));
        Assert.Equal(version, model.Version);
        Assert.Equal(2, model.GetAttributes("/d").ChildCount);
    }

    [Fact]
    public void Type_mismatches_are_reported()
    {
        var model = Tree();
        Assert.Equal("fs_not_a_directory_error", Fails(() => model.CreateFile("/d/f", "x")).ErrorClass);
        Assert.Equal("fs_not_a_directory_error", Fails(() => model.ListEntries("/d/f", 10)).ErrorClass);
        Assert.Equal("fs_is_a_directory_error", Fails(() => model.WriteData("/d", 0, 1)).ErrorClass);
        Assert.Equal("fs_is_a_directory_error", Fails(() => model.Rename("/", "empty", "/d/f", clobber: true)).ErrorClass);
    }

    [Fact]
    public void Clobber_replaces_an_existing_file()
    {
        var model = new TreeBuilder().File("/a", 1).File("/b", 2).Build();
        var b = model.GetAttributes("/b");
        var moved = model.Rename("/", "a", "/b", clobber: true);
        Assert.Equal(b.Id, moved.Id);
        Assert.Equal(2, model.GetAttributes("/a").Size);
        Assert.Equal(404, Fails(() => model.GetAttributes("/b")).StatusCode);
    }

    [Fact]
    public void Bad_input_is_400()
    {
        var model = Tree();
        Assert.Equal(400, Fails(() => model.GetAttributes("not-a-ref")).StatusCode);
        Assert.Equal(400, Fails(() => model.CreateFile("/d/", "a/b")).StatusCode);
        Assert.Equal(400, Fails(() => model.CreateFile("/d/", new string('x', 256))).StatusCode);
        Assert.Equal(400, Fails(() => model.ListEntries("/d", 10, "garbage!")).StatusCode);
        Assert.Equal(400, Fails(() => model.Rename("/d/sub/", "x", "/d")).StatusCode);
        Assert.Equal(404, Fails(() => model.ChangesSince(5, 6)).StatusCode);
    }

    [Fact]
    public void Hard_link_removal_keeps_the_other_name()
    {
        var model = new TreeBuilder().File("/a", 7).HardLink("/dir/b", "/a").Build();
        model.Delete("/a");
        var b = model.GetAttributes("/dir/b");
        Assert.Equal(1, b.NumLinks);
        Assert.Equal("/dir/b", model.ResolveId(b.Id).Path);
    }
}
