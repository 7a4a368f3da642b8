using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Index.Tests.Store;

/// <summary>
/// The change overlay against a dictionary model that applies every change to every row, one
/// after another: random change sets over random trees, with directories moved into directories
/// moved before, moved back, deleted and made again, and names that are prefixes of one another.
/// </summary>
public sealed class ChangeOverlayTests
{
    private static readonly string[] Names = ["a", "b", "b c", "bb", "b'", "\uff5e", "%", "x\ny"];

    [Fact]
    public void Random_change_sets_leave_what_applying_each_change_to_every_row_leaves()
    {
        var random = new Random(20261130);
        for (int set = 0; set < 3000; set++)
        {
            var snapshot = RandomTree(random);
            var model = new Dictionary<string, FileRecord>(snapshot, StringComparer.Ordinal);
            var overlay = new ChangeOverlay();
            var applied = new List<string>();
            int steps = random.Next(1, 40);
            for (int step = 0; step < steps; step++)
            {
                var change = RandomChange(random, model);
                if (change is null)
                {
                    continue;
                }

                applied.Add($"{change.Kind} {change.Path} {change.NewPath}");
                Apply(model, change);
                overlay.Apply(change);
            }

            var actual = Resolve(snapshot, overlay.Plan());
            var context = $"set {set}: " + string.Join(" | ", applied);
            Assert.True(
                Same(model, actual),
                context + "\nexpected: " + string.Join(", ", model.Keys.Order(StringComparer.Ordinal)) + "\nactual:   " + string.Join(", ", actual.Keys.Order(StringComparer.Ordinal)));
            foreach (var (path, row) in model)
            {
                Assert.True(row.Name == actual[path].Name && row.Size == actual[path].Size && actual[path].Path == path, $"{context}: {path} has {actual[path]}, expected {row}");
            }
        }
    }

    [Fact]
    public void A_directory_moved_many_times_is_read_from_its_origin_once_and_lands_at_its_last_path()
    {
        var overlay = new ChangeOverlay();
        overlay.Apply(new IndexChange(IndexChangeKind.MoveSubtree, "/a/", "/b/"));
        overlay.Apply(new IndexChange(IndexChangeKind.MoveSubtree, "/b/", "/c/d/"));
        overlay.Apply(new IndexChange(IndexChangeKind.MoveSubtree, "/c/", "/e/"));
        var plan = overlay.Plan();

        var move = Assert.Single(plan.Roots, m => m.Origin == "/a/");
        Assert.Equal("/e/d/", move.Target);
        Assert.True(move.IncludeSelf);
    }

    private static Dictionary<string, FileRecord> RandomTree(Random random)
    {
        var tree = new Dictionary<string, FileRecord>(StringComparer.Ordinal) { ["/"] = Row("/", 0) };
        var directories = new List<string> { "/" };
        int count = random.Next(0, 30);
        for (int i = 0; i < count; i++)
        {
            var parent = directories[random.Next(directories.Count)];
            if (parent.Count(c => c == '/') > 4)
            {
                continue;
            }

            var name = Names[random.Next(Names.Length)];
            var path = parent + name + (random.Next(2) == 0 ? "/" : string.Empty);
            tree[path] = Row(path, i + 1);
            if (path[^1] == '/')
            {
                directories.Add(path);
            }
        }

        return tree;
    }

    private static IndexChange? RandomChange(Random random, Dictionary<string, FileRecord> model)
    {
        string Directory()
        {
            // Mostly a directory that holds rows now, sometimes one that does not exist.
            var existing = model.Keys.Where(p => p[^1] == '/').ToList();
            if (random.Next(5) > 0 && existing.Count > 0)
            {
                return existing[random.Next(existing.Count)];
            }

            var parent = existing.Count > 0 ? existing[random.Next(existing.Count)] : "/";
            return parent + Names[random.Next(Names.Length)] + "/";
        }

        string AnyPath() => Directory() + (random.Next(3) == 0 ? string.Empty : Names[random.Next(Names.Length)] + (random.Next(4) == 0 ? "/" : string.Empty));

        switch (random.Next(10))
        {
            case < 3:
                var upsert = AnyPath();
                return new IndexChange(IndexChangeKind.Upsert, upsert, Record: Row(upsert, random.Next(1000, 2000)));
            case < 5:
                return new IndexChange(IndexChangeKind.Delete, AnyPath());
            case 5:
                return new IndexChange(IndexChangeKind.DeleteSubtree, random.Next(40) == 0 ? "/" : Directory());
            default:
                string from = Directory(), to = Directory();
                if (from == "/" || to == "/" || (from != to && (from.StartsWith(to, StringComparison.Ordinal) || to.StartsWith(from, StringComparison.Ordinal))))
                {
                    return null;
                }

                return new IndexChange(IndexChangeKind.MoveSubtree, from, to);
        }
    }

    /// <summary>The change applied to every row, as the store's contract says.</summary>
    private static void Apply(Dictionary<string, FileRecord> model, IndexChange change)
    {
        switch (change.Kind)
        {
            case IndexChangeKind.Upsert:
                model[change.Path] = change.Record!;
                break;
            case IndexChangeKind.Delete:
                model.Remove(change.Path);
                break;
            case IndexChangeKind.DeleteSubtree:
                RemoveUnder(model, change.Path);
                break;
            case IndexChangeKind.MoveSubtree when change.Path != change.NewPath:
                string from = change.Path, to = change.NewPath!;
                var moving = model.Where(r => r.Key.StartsWith(from, StringComparison.Ordinal)).ToList();
                RemoveUnder(model, from);
                RemoveUnder(model, to);
                foreach (var (path, row) in moving)
                {
                    string target = to + path[from.Length..];
                    model[target] = path == from ? row with { Path = target, Name = ChangeOverlay.NameOf(target) } : row with { Path = target };
                }

                break;
        }
    }

    /// <summary>The plan applied to the snapshot as the store applies it: removals first, then moves and additions.</summary>
    private static Dictionary<string, FileRecord> Resolve(Dictionary<string, FileRecord> snapshot, OverlayPlan plan)
    {
        var result = new Dictionary<string, FileRecord>(snapshot, StringComparer.Ordinal);
        var added = new List<(string Path, FileRecord Row)>();
        foreach (var path in plan.RemovePaths)
        {
            result.Remove(path);
        }

        foreach (var root in plan.Roots)
        {
            foreach (var path in Under(snapshot, root.Origin))
            {
                if (ChangeOverlay.Owner(root, path) is not { } region)
                {
                    continue;
                }

                result.Remove(path);
                if (region.Target is { } target)
                {
                    string moved = target + path[region.Origin.Length..];
                    added.Add((moved, path == region.Origin ? snapshot[path] with { Path = moved, Name = ChangeOverlay.NameOf(moved) } : snapshot[path] with { Path = moved }));
                }
            }
        }

        var writes = added.Concat(plan.Add.Select(a => (a.Path, a.Row))).ToList();
        Assert.Equal(writes.Count, writes.Select(w => w.Path).Distinct(StringComparer.Ordinal).Count());
        foreach (var (path, row) in writes)
        {
            result[path] = row;
        }

        return result;
    }

    private static List<string> Under(Dictionary<string, FileRecord> rows, string prefix) =>
        rows.Keys.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).ToList();

    private static void RemoveUnder(Dictionary<string, FileRecord> model, string prefix)
    {
        foreach (var path in Under(model, prefix))
        {
            model.Remove(path);
        }
    }

    private static bool Same(Dictionary<string, FileRecord> expected, Dictionary<string, FileRecord> actual) =>
        expected.Count == actual.Count && expected.Keys.All(actual.ContainsKey);

    private static FileRecord Row(string path, long size) => new()
    {
        Path = path,
        Size = size,
        Name = ChangeOverlay.NameOf(path),
        Type = path[^1] == '/' ? "FS_FILE_TYPE_DIRECTORY" : "FS_FILE_TYPE_FILE",
    };
}
