using Qindex.Simulator.Generation;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Tests.Model;

public class ModelBasicsTests
{
    private static ManualClusterClock Clock() => new(FsTimestamp.Parse("2024-05-01T10:00:00.123456789Z"));

    [Fact]
    public void Root_has_id_2_and_slash_path()
    {
        var model = ClusterModel.CreateEmpty(Clock());
        var root = model.GetAttributes("/");
        Assert.Equal(2, root.Id);
        Assert.Equal("/", root.Path);
        Assert.Equal(FileType.Directory, root.Type);
        Assert.Equal(0, root.ChildCount);
        Assert.Equal(root, model.GetAttributes("2"));
    }

    [Fact]
    public void Create_list_attributes_delete()
    {
        var model = new TreeBuilder().File("/a/b.txt", 5000).Directory("/a/sub").Build(Clock());
        var file = model.GetAttributes("/a/b.txt");
        Assert.Equal("/a/b.txt", file.Path);
        Assert.Equal("b.txt", file.Name);
        Assert.Equal(5000, file.Size);
        Assert.Equal(2, file.Datablocks);
        Assert.Equal(file.Datablocks + file.Metablocks, file.Blocks);
        Assert.Equal("/a/sub/", model.GetAttributes("/a/sub").Path);
        Assert.Equal(file, model.GetAttributes(file.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var page = model.ListEntries("/a/", 10);
        Assert.Equal(["b.txt", "sub"], page.Files.Select(f => f.Name));
        Assert.Null(page.Next);
        Assert.Equal(2, page.ChildCount);

        model.Delete("/a/b.txt");
        var ex = Assert.Throws<ClusterException>(() => model.GetAttributes("/a/b.txt"));
        Assert.Equal(404, ex.StatusCode);
        Assert.Equal("fs_no_such_entry_error", ex.ErrorClass);
        Assert.Equal(1, model.GetAttributes("/a").ChildCount);
    }

    [Fact]
    public void Timestamps_keep_nanoseconds()
    {
        var t = FsTimestamp.Parse("2024-05-01T10:00:00.123456789Z");
        Assert.Equal("2024-05-01T10:00:00.123456789Z", t.ToString());
    }
}
