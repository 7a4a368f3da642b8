using System.Globalization;
using Qindex.Simulator.Model;

namespace Qindex.Simulator.Tests.Model;

/// <summary>Helpers that read a whole tree through the public API, the way a crawler would.</summary>
internal static class ModelTestTree
{
    /// <summary>Every object under a directory (inclusive), by path, breadth-first via listings.</summary>
    public static Dictionary<string, FsAttributes> Enumerate(ClusterModel model, string root = "/", long? snapshot = null)
    {
        var result = new Dictionary<string, FsAttributes>(StringComparer.Ordinal);
        var top = model.GetAttributes(root, snapshot);
        result[top.Path] = top;
        var queue = new Queue<string>();
        queue.Enqueue(top.Path);
        while (queue.Count > 0)
        {
            foreach (var entry in model.EnumerateEntries(queue.Dequeue(), snapshot))
            {
                Assert.True(result.TryAdd(entry.Path, entry), $"listed twice: {entry.Path}");
                if (entry.Type == FileType.Directory)
                {
                    queue.Enqueue(entry.Path);
                }
            }
        }

        return result;
    }

    public static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}
