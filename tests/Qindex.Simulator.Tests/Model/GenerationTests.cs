using System.Text;
using Qindex.Simulator.Generation;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Tests.Model;

public class GenerationTests
{
    [Fact]
    public void Same_seed_gives_the_same_tree_and_another_seed_does_not()
    {
        var a = ModelTestTree.Enumerate(ClusterModel.CreateGenerated(new GeneratedTreeOptions(7, 3000)));
        var b = ModelTestTree.Enumerate(ClusterModel.CreateGenerated(new GeneratedTreeOptions(7, 3000)));
        var c = ModelTestTree.Enumerate(ClusterModel.CreateGenerated(new GeneratedTreeOptions(8, 3000)));
        Assert.Equal(a.Keys.Order(StringComparer.Ordinal), b.Keys.Order(StringComparer.Ordinal));
        Assert.All(a, kv => Assert.Equal(kv.Value, b[kv.Key]));
        Assert.NotEqual(a.Keys.Order(StringComparer.Ordinal), c.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(1000)]
    [InlineData(54321)]
    public void Object_count_is_exact(long count)
    {
        var tree = ModelTestTree.Enumerate(ClusterModel.CreateGenerated(new GeneratedTreeOptions(1, count)));
        Assert.Equal(count, tree.Count);
    }

    [Fact]
    public void Generated_tree_has_odd_names_and_every_kind_of_object()
    {
        var model = ClusterModel.CreateGenerated(new GeneratedTreeOptions(3, 30_000));
        var all = ModelTestTree.Enumerate(model).Values.ToList();
        var names = all.Select(a => a.Name).ToList();
        foreach (string needle in new[] { " ", "'", "\"", "%", "\\", "\n", "é", "報" })
        {
            Assert.Contains(names, n => n.Contains(needle, StringComparison.Ordinal));
        }

        Assert.Contains(names, n => Encoding.UTF8.GetByteCount(n) == 255);
        Assert.All(names, n => Assert.True(Encoding.UTF8.GetByteCount(n) <= 255));
        foreach (var type in Enum.GetValues<FileType>())
        {
            Assert.Contains(all, a => a.Type == type);
        }

        Assert.Contains(all, a => a.Type == FileType.UnixBlockDevice && a.MajorMinorNumbers.Major > 0);
        var linked = all.Where(a => a.NumLinks == 2).GroupBy(a => a.Id).ToList();
        Assert.NotEmpty(linked);
        Assert.All(linked, g => Assert.Equal(2, g.Select(a => a.Path).Distinct().Count()));
        foreach (var kind in new[] { IdentityType.NfsUid, IdentityType.SmbSid, IdentityType.LocalUser })
        {
            Assert.Contains(all, a => a.OwnerDetails.IdType == kind);
        }

        Assert.All(all.Where(a => a.OwnerDetails.IdType == IdentityType.NfsUid), a => Assert.Equal(IdentityType.NfsGid, a.GroupDetails.IdType));
        var sizes = all.Where(a => a.Type == FileType.File).Select(a => a.Size).Order().ToList();
        Assert.True(sizes[sizes.Count / 2] < 1_000_000, "median file is small");
        Assert.True(sizes[^1] > 100_000_000, "some files are huge");
        Assert.All(all, a => Assert.Equal(a.Datablocks + a.Metablocks, a.Blocks));
    }

    [Fact]
    public void Every_listed_path_resolves_to_the_same_object()
    {
        var model = ClusterModel.CreateGenerated(new GeneratedTreeOptions(5, 5000));
        foreach (var (path, attrs) in ModelTestTree.Enumerate(model))
        {
            var resolved = model.GetAttributes(path);
            Assert.Equal(attrs.Id, resolved.Id);
            Assert.Equal(attrs.Type, resolved.Type);
        }
    }

    [Fact]
    public void Aggregates_match_an_enumeration_before_and_after_changes()
    {
        var model = ClusterModel.CreateGenerated(new GeneratedTreeOptions(9, 4000));
        AssertAggregatesMatch(model);
        ModelSnapshotTests.RandomMutations(model, new Random(9), 40);
        AssertAggregatesMatch(model);
    }

    private static void AssertAggregatesMatch(ClusterModel model)
    {
        var all = ModelTestTree.Enumerate(model).Values.Where(a => a.Path != "/").ToList();
        var agg = model.GetAggregates("/");
        Assert.Equal(all.Count(a => a.Type == FileType.File), agg.TotalFiles);
        Assert.Equal(all.Count(a => a.Type == FileType.Directory), agg.TotalDirectories);
        Assert.Equal(all.Count(a => a.Type == FileType.Symlink), agg.TotalSymlinks);
        Assert.Equal(all.Count - agg.TotalFiles - agg.TotalDirectories - agg.TotalSymlinks, agg.TotalOtherObjects);
        Assert.Equal(all.Sum(a => a.Datablocks) * 4096, agg.TotalData);
        Assert.Equal(all.Sum(a => a.Metablocks) * 4096, agg.TotalMeta);
    }

    [Fact]
    public void Generated_objects_can_be_renamed_deleted_and_found_again()
    {
        var model = ClusterModel.CreateGenerated(new GeneratedTreeOptions(11, 2000));
        var files = ModelTestTree.Enumerate(model).Values.Where(a => a.Type == FileType.File && a.NumLinks == 1).Take(2).ToList();
        var dir = ModelTestTree.Enumerate(model).Values.First(a => a.Type == FileType.Directory && a.Path != "/");
        var moved = model.Rename(dir.Path, "moved here", files[0].Path);
        Assert.Equal(files[0].Id, moved.Id);
        Assert.Equal(404, Assert.Throws<ClusterException>(() => model.GetAttributes(files[0].Path)).StatusCode);
        Assert.Equal(dir.Path + "moved here", model.ResolveId(files[0].Id).Path);
        model.Delete(files[1].Path);
        Assert.Equal(404, Assert.Throws<ClusterException>(() => model.GetAttributes(ModelTestTree.Id(files[1].Id))).StatusCode);
        Assert.Equal(1999, ModelTestTree.Enumerate(model).Count);
    }

    [Fact]
    public void Large_tree_has_a_100k_directory_whose_pages_cover_every_entry_once()
    {
        var tree = new GeneratedTree(new GeneratedTreeOptions(2, 1_000_000));
        Assert.InRange(tree.MaxDepth, 15, GeneratedTreeOptions.MaxDirectoryDepth);
        var (dirId, entries) = tree.LargestDirectory;
        Assert.True(entries >= 100_000, $"largest directory has {entries} entries");
        var model = ClusterModel.CreateGenerated(tree);
        string dir = ModelTestTree.Id(dirId);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? after = null;
        int pages = 0;
        do
        {
            var page = model.ListEntries(dir, 1000, after);
            Assert.All(page.Files, f => Assert.True(seen.Add(f.Name), $"seen twice: {f.Name}"));
            after = page.Next;
            pages++;
            if (pages == 50)
            {
                // Concurrent mutations must not disturb the pages still to come.
                model.CreateFile(dir, "added while listing");
                model.Delete(page.Files[0].Path);
            }
        }
        while (after is not null);
        Assert.Equal(entries + 1, seen.Count);
        Assert.Contains("added while listing", seen);
    }
}
