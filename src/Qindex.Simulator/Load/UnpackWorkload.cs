using System.Globalization;
using Qindex.Simulator.Churn;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Load;

/// <summary>
/// An archive being unpacked into one new tree: depth first, as tar extracts, each directory is
/// created, then its files (each created, then written once), then its subdirectories. Sizes,
/// fan-out and names (three in ten awkward) come from a seeded generator, so a seed fixes the tree.
/// Each <see cref="Step"/> is one change.
/// </summary>
internal sealed class UnpackWorkload
{
    public const string CreateDirectory = "create_dir";
    public const string CreateFile = "create_file";
    public const string Write = "write";

    private static readonly string[] DirectoryStems = ["src", "lib", "docs", "assets", "test data", "include", "build", "vendor", "images", "locale"];
    private static readonly string[] FileStems = ["main", "util", "index", "README", "photo", "chunk", "module", "config", "part", "frame"];
    private static readonly string[] Extensions = [".c", ".h", ".py", ".json", ".jpg", ".md", ".bin", ".txt", ""];

    private readonly ModelChurnTarget _target;
    private readonly Random _random;
    private readonly Stack<IEnumerator<(string? Kind, Action<ClusterModel>? Apply, string? Subdirectory)>> _stack = new();
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal) { [CreateDirectory] = 0, [CreateFile] = 0, [Write] = 0 };
    private long _names;

    public UnpackWorkload(ModelChurnTarget target, string path, int seed)
    {
        _target = target;
        _random = new Random(seed);
        var root = path.TrimEnd('/') + "/unpacked archive " + seed.ToString(CultureInfo.InvariantCulture);
        Root = root + "/";
        for (int copy = 2; target.Exists(Root); copy++)
        {
            // Unpacked again with the same seed: a sibling copy, as an unpacking tool would name it.
            Root = root + " (" + copy.ToString(CultureInfo.InvariantCulture) + ")/";
        }

        _stack.Push(Directory(Root, depth: 0).GetEnumerator());
    }

    /// <summary>The tree's root directory (absolute, with a trailing '/').</summary>
    public string Root { get; }

    public IReadOnlyDictionary<string, long> Counts => new Dictionary<string, long>(_counts, StringComparer.Ordinal);

    /// <summary>Applies the next change; false when the whole archive is unpacked (it is large: well over a million changes).</summary>
    public bool Step()
    {
        while (_stack.Count > 0)
        {
            var top = _stack.Peek();
            if (!top.MoveNext())
            {
                top.Dispose();
                _stack.Pop();
                continue;
            }

            var (kind, apply, subdirectory) = top.Current;
            if (subdirectory is not null)
            {
                // Depth first, as tar extracts: the subdirectory's whole tree before the next sibling.
                _stack.Push(Directory(subdirectory, _stack.Count).GetEnumerator());
                continue;
            }

            _target.Apply(apply!);
            _counts[kind!]++;
            return true;
        }

        return false;
    }

    /// <summary>The changes of one directory: itself, its files, then its subdirectories (each expanded by <see cref="Step"/>).</summary>
    private IEnumerable<(string? Kind, Action<ClusterModel>? Apply, string? Subdirectory)> Directory(string path, int depth)
    {
        var trimmed = path.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        yield return (CreateDirectory, m => m.CreateDirectory(trimmed[..(slash + 1)], trimmed[(slash + 1)..]), null);
        int files = depth == 0 ? _random.Next(5, 40) : _random.Next(20, 400);
        for (int i = 0; i < files; i++)
        {
            var file = path + Name(FileStems) + Extensions[_random.Next(Extensions.Length)];
            yield return (CreateFile, m => m.CreateFile(path, file[path.Length..]), null);
            long size = _random.Next(10) switch
            {
                < 6 => _random.Next(0, 16 * 1024),
                < 9 => _random.Next(16 * 1024, 4 * 1024 * 1024),
                _ => _random.NextInt64(4L * 1024 * 1024, 2L * 1024 * 1024 * 1024),
            };
            yield return (Write, m => m.ReplaceData(file, size), null);
        }

        if (depth < 5)
        {
            int subdirectories = _random.Next(depth == 0 ? 4 : 0, 7);
            for (int i = 0; i < subdirectories; i++)
            {
                yield return (null, null, path + Name(DirectoryStems) + "/");
            }
        }
    }

    private string Name(string[] stems)
    {
        var stem = _random.Next(10) < 3 ? ChurnWorkload.AwkwardStems[_random.Next(ChurnWorkload.AwkwardStems.Length)] : stems[_random.Next(stems.Length)];
        return stem + " " + (++_names).ToString(CultureInfo.InvariantCulture);
    }
}
