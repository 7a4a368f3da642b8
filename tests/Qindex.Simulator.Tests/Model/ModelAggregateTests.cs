using Qindex.Simulator.Generation;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Tests.Model;

public class ModelAggregateTests
{
    [Fact]
    public void Aggregates_count_every_kind_and_named_streams()
    {
        var model = new TreeBuilder()
            .File("/d/a", 10_000)
            .File("/d/sub/b", 1)
            .Symlink("/d/l", "a", SymlinkTargetType.File)
            .UnixFile("/d/dev", FileType.UnixCharacterDevice, new MajorMinorNumbers(4, 1))
            .Stream("/d/a", "zone", 500)
            .Build();
        var agg = model.GetAggregates("/d");
        Assert.Equal("/d/", agg.Path);
        Assert.Equal(2, agg.TotalFiles);
        Assert.Equal(1, agg.TotalDirectories);
        Assert.Equal(1, agg.TotalSymlinks);
        Assert.Equal(1, agg.TotalOtherObjects);
        Assert.Equal(1, agg.TotalNamedStreams);
        Assert.Equal(500, agg.TotalNamedStreamData);
        Assert.Equal((3 + 1 + 1) * 4096, agg.TotalData);
        var a = Assert.Single(agg.Files, f => f.Name == "a");
        Assert.Equal(1, a.NumNamedStreams);
        Assert.Equal(agg.Files.Max(f => f.CapacityUsage), agg.Files[0].CapacityUsage);
        var sub = Assert.Single(agg.Files, f => f.Name == "sub");
        Assert.Equal(1, sub.NumFiles);
        Assert.Equal(1, sub.NumDirectories);

        var recursive = model.GetRecursiveAggregates("/");
        Assert.Equal(["/", "/d/", "/d/sub/"], recursive.Select(r => r.Path));
        Assert.Equal("a", model.GetSymlinkTarget("/d/l"));
        Assert.Equal(new MajorMinorNumbers(4, 1), model.GetAttributes("/d/dev").MajorMinorNumbers);
        Assert.Equal(["zone"], model.ListStreams("/d/a").Select(s => s.Name));
    }

    [Fact]
    public void Events_in_a_generated_tree_carry_odd_names_verbatim()
    {
        var model = ClusterModel.CreateGenerated(new GeneratedTreeOptions(3, 30_000));
        var odd = ModelTestTree.Enumerate(model).Values
            .First(a => a.Type == FileType.File && a.Name.Contains('\n', StringComparison.Ordinal) && a.Path.Count(c => c == '/') >= 2);
        using var sub = model.Subscribe("/", recursive: true);
        model.WriteData(odd.Path, 0, 1);
        Assert.True(sub.Reader.TryRead(out var n));
        Assert.Equal("child_data_written", n!.Type);
        Assert.Equal(odd.Path[1..], n.Path);
        Assert.Equal(odd.Id, n.Spine[^1]);
        Assert.Equal(ClusterModel.RootId, n.Spine[0]);
        Assert.Equal(odd.Path.Count(c => c == '/') + 1, n.Spine.Count);
    }
}
