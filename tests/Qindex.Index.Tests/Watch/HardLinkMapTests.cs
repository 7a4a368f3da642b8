using Qindex.Index.Watch;

namespace Qindex.Index.Tests.Watch;

/// <summary>The map of hard-linked paths against a plain dictionary scanned for every directory step.</summary>
public sealed class HardLinkMapTests
{
    private static readonly string[] Directories =
    [
        "/a/", "/a/b/", "/a/b2/", "/a/b/c/", "/odd/it's a 'quote'/", "/odd/100%_done/", "/odd/line\nbreak/",
        "/odd/caf\u00e9/", "/odd/\uffff/", "/a/b0/", "/z/",
    ];

    [Fact]
    public void Moves_and_removals_of_directories_match_a_scan_of_every_path()
    {
        var random = new Random(7);
        var map = new HardLinkMap();
        var model = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int step = 0; step < 4_000; step++)
        {
            string directory = Directories[random.Next(Directories.Length)];
            switch (random.Next(4))
            {
                case 0:
                case 1:
                    {
                        string path = directory + "f" + random.Next(20);
                        string id = random.Next(30).ToString(System.Globalization.CultureInfo.InvariantCulture);
                        map.Add(id, path);
                        model[path] = id;
                        break;
                    }

                case 2:
                    {
                        var expected = model.Where(p => p.Key.StartsWith(directory, StringComparison.Ordinal)).ToList();
                        var ids = map.RemoveSubtree(directory);
                        Assert.Equal(expected.Select(p => p.Value).ToHashSet(), ids.ToHashSet());
                        expected.ForEach(p => model.Remove(p.Key));
                        break;
                    }

                default:
                    {
                        string target = Directories[random.Next(Directories.Length)];
                        if (target.StartsWith(directory, StringComparison.Ordinal) || directory.StartsWith(target, StringComparison.Ordinal))
                        {
                            break;
                        }

                        map.MoveSubtree(directory, target);
                        foreach (var (path, id) in model.Where(p => p.Key.StartsWith(directory, StringComparison.Ordinal)).ToList())
                        {
                            model.Remove(path);
                            model[target + path[directory.Length..]] = id;
                        }

                        break;
                    }
            }

            Assert.Equal(model.Count, map.Count);
        }

        foreach (var (path, id) in model)
        {
            Assert.Equal(id, map.IdOf(path));
            Assert.Contains(path, map.PathsOf(id));
        }
    }
}
