using Qindex.Simulator.Model;

namespace Qindex.Simulator.Generation;

/// <summary>
/// Builds an exact small tree for tests: each call adds one object by absolute path, creating
/// missing parent directories. <see cref="Build"/> replays the calls against an empty model.
/// </summary>
public sealed class TreeBuilder
{
    private readonly List<Action<ClusterModel>> _steps = [];

    public TreeBuilder Directory(string path)
    {
        _steps.Add(m => EnsureDirectory(m, path));
        return this;
    }

    public TreeBuilder File(string path, long size = 0)
    {
        _steps.Add(m =>
        {
            var (parent, name) = Split(m, path);
            m.CreateFile(parent, name);
            if (size > 0)
            {
                m.ReplaceData(path, size);
            }
        });
        return this;
    }

    public TreeBuilder Symlink(string path, string target, SymlinkTargetType targetType = SymlinkTargetType.Unknown)
    {
        _steps.Add(m =>
        {
            var (parent, name) = Split(m, path);
            m.CreateSymlink(parent, name, target, targetType);
        });
        return this;
    }

    public TreeBuilder HardLink(string path, string existing)
    {
        _steps.Add(m =>
        {
            var (parent, name) = Split(m, path);
            m.CreateLink(parent, name, existing);
        });
        return this;
    }

    public TreeBuilder UnixFile(string path, FileType type, MajorMinorNumbers? numbers = null)
    {
        _steps.Add(m =>
        {
            var (parent, name) = Split(m, path);
            m.CreateUnixFile(parent, name, type, numbers);
        });
        return this;
    }

    public TreeBuilder Stream(string path, string streamName, long size)
    {
        _steps.Add(m =>
        {
            m.CreateStream(path, streamName);
            m.ReplaceStreamData(path, streamName, size);
        });
        return this;
    }

    public ClusterModel Build(IClusterClock? clock = null)
    {
        var model = ClusterModel.CreateEmpty(clock);
        foreach (var step in _steps)
        {
            step(model);
        }

        return model;
    }

    private static (string Parent, string Name) Split(ClusterModel model, string path)
    {
        string trimmed = path.TrimEnd('/');
        int slash = trimmed.LastIndexOf('/');
        if (slash < 0 || trimmed.Length == 0)
        {
            throw new ArgumentException($"'{path}' is not an absolute path below the root", nameof(path));
        }

        string parent = trimmed[..(slash + 1)];
        EnsureDirectory(model, parent);
        return (parent, trimmed[(slash + 1)..]);
    }

    private static void EnsureDirectory(ClusterModel model, string path)
    {
        string current = "/";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string next = current + part + "/";
            try
            {
                model.GetAttributes(next);
            }
            catch (ClusterException e) when (e.StatusCode == 404)
            {
                model.CreateDirectory(current, part);
            }

            current = next;
        }
    }
}
