using Qindex.Simulator.Generation;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Tests.Model;

public class ModelSnapshotTests
{
    [Fact]
    public void Snapshot_reads_see_the_old_state()
    {
        var model = new TreeBuilder().File("/a/f", 10).Directory("/b").Build();
        var before = ModelTestTree.Enumerate(model);
        var snap = model.CreateSnapshot();
        model.WriteData("/a/f", 100, 1);
        model.Rename("/b/", "g", "/a/f");
        model.CreateFile("/a/", "new");

        var atSnapshot = ModelTestTree.Enumerate(model, "/", snap.Id);
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), atSnapshot.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(10, model.GetAttributes("/a/f", snap.Id).Size);
        Assert.Equal(101, model.GetAttributes("/b/g").Size);
    }

    [Fact]
    public void Snapshot_only_shows_its_source_subtree()
    {
        var model = new TreeBuilder().File("/a/f").File("/b/g").Build();
        var a = model.GetAttributes("/a");
        var snap = model.CreateSnapshot(a.Id, "only-a");
        Assert.Equal("only-a", model.GetSnapshot(snap.Id).Name);
        Assert.Equal("/a/f", model.GetAttributes("/a/f", snap.Id).Path);
        Assert.Equal(404, Assert.Throws<ClusterException>(() => model.GetAttributes("/b/g", snap.Id)).StatusCode);
    }

    [Fact]
    public void Snapshots_are_listed_and_deleted()
    {
        var model = ClusterModel.CreateEmpty();
        var s1 = model.CreateSnapshot();
        var s2 = model.CreateSnapshot(ClusterModel.RootId, "two", "2030-01-01T00:00:00Z");
        Assert.Equal([s1.Id, s2.Id], model.ListSnapshots().Select(s => s.Id));
        model.DeleteSnapshot(s1.Id);
        Assert.Equal([s2.Id], model.ListSnapshots().Select(s => s.Id));
        var ex = Assert.Throws<ClusterException>(() => model.GetSnapshot(s1.Id));
        Assert.Equal(404, ex.StatusCode);
        Assert.Throws<ClusterException>(() => model.GetAttributes("/", s1.Id));
    }

    [Fact]
    public void Changes_since_reports_a_created_directory_as_one_entry_and_skips_transient_files()
    {
        var model = new TreeBuilder().File("/keep").File("/gone").Build();
        var older = model.CreateSnapshot();
        model.CreateDirectory("/", "newdir");
        model.CreateFile("/newdir/", "inner");
        model.CreateFile("/", "transient");
        model.Delete("/transient");
        model.Delete("/gone");
        model.Rename("/", "renamed", "/keep");
        var newer = model.CreateSnapshot();
        var entries = All(model, newer.Id, older.Id, 2);
        Assert.Equal(
            [(ChangeOp.Modify, "/"), (ChangeOp.Delete, "/gone"), (ChangeOp.Delete, "/keep"), (ChangeOp.Create, "/newdir/"), (ChangeOp.Create, "/renamed")],
            entries);
    }

    [Fact]
    public void Changes_since_reports_a_directory_rename_as_two_entries_and_a_hard_link_as_create_plus_modify()
    {
        var model = new TreeBuilder().File("/dir/a/deep/f").File("/dir/x").File("/other/y").Build();
        var older = model.CreateSnapshot();
        model.Rename("/", "moved", "/dir/a");
        model.WriteData("/moved/deep/f", 0, 10);
        model.CreateLink("/other/", "x-link", "/dir/x");
        var newer = model.CreateSnapshot();
        Assert.Equal(
            [
                (ChangeOp.Modify, "/"), (ChangeOp.Modify, "/dir/"), (ChangeOp.Delete, "/dir/a/"), (ChangeOp.Modify, "/dir/x"),
                (ChangeOp.Create, "/moved/"), (ChangeOp.Modify, "/other/"), (ChangeOp.Create, "/other/x-link"),
            ],
            All(model, newer.Id, older.Id, 100));
    }

    [Fact]
    public void Snapshot_of_a_generated_tree_keeps_generated_paths_after_a_directory_rename()
    {
        var model = ClusterModel.CreateGenerated(new GeneratedTreeOptions(6, 2000));
        var before = ModelTestTree.Enumerate(model);
        var dir = before.Values.First(a => a.Type == FileType.Directory && a.Path != "/" && a.ChildCount > 0);
        var snap = model.CreateSnapshot();
        model.Rename("/", "renamed-top", dir.Path);
        Assert.Equal(before.Count, ModelTestTree.Enumerate(model).Count);
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), ModelTestTree.Enumerate(model, "/", snap.Id).Keys.Order(StringComparer.Ordinal));
        Assert.Equal(404, Assert.Throws<ClusterException>(() => model.GetAttributes(dir.Path)).StatusCode);
        Assert.Equal(dir.Id, model.GetAttributes(dir.Path, snap.Id).Id);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    public void Changes_since_matches_a_naive_diff_of_both_states(int seed, bool generated)
    {
        var model = generated
            ? ClusterModel.CreateGenerated(new GeneratedTreeOptions(seed, 400))
            : new TreeBuilder().File("/a/b/c").File("/a/d").Directory("/e/f").File("/g").Build();
        var rng = new Random(seed);
        var s0 = model.CreateSnapshot();
        var t0 = ModelTestTree.Enumerate(model);
        RandomMutations(model, rng, 60);
        var s1 = model.CreateSnapshot();
        var t1 = ModelTestTree.Enumerate(model);
        RandomMutations(model, rng, 60);
        var s2 = model.CreateSnapshot();
        var t2 = ModelTestTree.Enumerate(model);

        var expected = NaiveDiff(t0, t1);
        Assert.Contains(expected, e => e.Item1 == ChangeOp.Delete);
        Assert.Contains(expected, e => e.Item1 == ChangeOp.Create);
        Assert.Contains(expected, e => e.Item1 == ChangeOp.Modify);
        Assert.Equal(expected, All(model, s1.Id, s0.Id, 7));
        Assert.Equal(NaiveDiff(t1, t2), All(model, s2.Id, s1.Id, 1000));
        Assert.Equal(NaiveDiff(t0, t2), All(model, s2.Id, s0.Id, 3));
    }

    private static List<(ChangeOp, string)> All(ClusterModel model, long newer, long older, int limit)
    {
        var all = new List<(ChangeOp, string)>();
        string? after = null;
        do
        {
            var page = model.ChangesSince(newer, older, after, limit);
            Assert.True(page.Entries.Count <= limit);
            all.AddRange(page.Entries.Select(e => (e.Op, e.Path)));
            after = page.Next;
        }
        while (after is not null);
        return all;
    }

    /// <summary>The expected diff, from two full enumerations: independent of the model's change log.</summary>
    private static List<(ChangeOp, string)> NaiveDiff(Dictionary<string, FsAttributes> older, Dictionary<string, FsAttributes> newer)
    {
        var result = new List<(ChangeOp Op, string Path)>();
        foreach (var (path, o) in older)
        {
            if (!newer.TryGetValue(path, out var n) || n.Id != o.Id)
            {
                result.Add((ChangeOp.Delete, path));
            }
            else if (n != o)
            {
                result.Add((ChangeOp.Modify, path));
            }
        }

        foreach (var (path, n) in newer)
        {
            if (!older.TryGetValue(path, out var o) || n.Id != o.Id)
            {
                result.Add((ChangeOp.Create, path));
            }
        }

        var deletedDirs = result.Where(e => e.Op == ChangeOp.Delete && e.Path.EndsWith('/')).Select(e => e.Path).ToHashSet();
        var createdDirs = result.Where(e => e.Op == ChangeOp.Create && e.Path.EndsWith('/')).Select(e => e.Path).ToHashSet();
        result.RemoveAll(e =>
            (e.Op == ChangeOp.Delete && deletedDirs.Any(d => d != e.Path && e.Path.StartsWith(d, StringComparison.Ordinal))) ||
            (e.Op == ChangeOp.Create && createdDirs.Any(d => d != e.Path && e.Path.StartsWith(d, StringComparison.Ordinal))));
        int Rank(ChangeOp op) => op switch { ChangeOp.Delete => 0, ChangeOp.Create => 1, _ => 2 };
        return [.. result.OrderBy(e => e.Path, StringComparer.Ordinal).ThenBy(e => Rank(e.Op)).Select(e => (e.Op, e.Path))];
    }

    internal static void RandomMutations(ClusterModel model, Random rng, int count)
    {
        for (int done = 0; done < count;)
        {
            var all = ModelTestTree.Enumerate(model).Values.ToList();
            var dirs = all.Where(a => a.Type == FileType.Directory).ToList();
            var files = all.Where(a => a.Type == FileType.File).ToList();
            var nonRoot = all.Where(a => a.Path != "/").ToList();
            var dir = dirs[rng.Next(dirs.Count)];
            try
            {
                switch (rng.Next(9))
                {
                    case 0: model.CreateFile(dir.Path, $"n{rng.Next(1000)} it's"); break;
                    case 1: model.CreateDirectory(dir.Path, $"d{rng.Next(1000)}"); break;
                    case 2 when files.Count > 0: model.WriteData(files[rng.Next(files.Count)].Path, rng.Next(5000), rng.Next(5000)); break;
                    case 3 when nonRoot.Count > 0:
                        var victim = nonRoot[rng.Next(nonRoot.Count)];
                        if (victim.Type != FileType.Directory || victim.ChildCount == 0)
                        {
                            model.Delete(victim.Path);
                        }

                        break;
                    case 4 when nonRoot.Count > 0:
                        model.Rename(dir.Path, $"r{rng.Next(50)}", nonRoot[rng.Next(nonRoot.Count)].Path, clobber: rng.Next(2) == 0);
                        break;
                    case 5 when files.Count > 0: model.CreateLink(dir.Path, $"l{rng.Next(1000)}", files[rng.Next(files.Count)].Path); break;
                    case 6 when nonRoot.Count > 0: model.PatchAttributes(nonRoot[rng.Next(nonRoot.Count)].Path, new AttributePatch { Mode = 0x1A4 }); break;
                    case 7 when files.Count > 0: model.CreateStream(files[rng.Next(files.Count)].Path, $"s{rng.Next(3)}"); break;
                    default: model.CreateSymlink(dir.Path, $"sym{rng.Next(1000)}", "target"); break;
                }

                done++;
            }
            catch (ClusterException e) when (e.StatusCode is 400 or 409)
            {
                // A random operation may be invalid (name taken, move into itself); pick another.
            }
        }
    }
}
