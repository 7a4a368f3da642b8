using System.Globalization;
using System.Text;
using Qindex.Simulator;
using Qindex.Simulator.Churn;
using Qindex.Simulator.Load;
using Qindex.Simulator.Model;

namespace Qindex.Bench;

/// <summary>
/// The shape a churn leaves behind: the in-simulator churn runs in the largest generated top-level
/// directory (as the watch benchmark's default load does), and at checkpoints the churned tree is
/// walked for its depth, its path lengths and the rows a directory move carries (the mean count of
/// entries below a directory, over all its directories). What a directory move costs an index keyed
/// by path grows with the last two.
/// </summary>
internal sealed class ChurnShapeBenchmark : IBenchmark
{
    public string Name => "churn-shape";

    public string Description => "depth, path length and rows per directory move of a churned tree (--objects N --changes N --checkpoints K)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var objects = long.Parse(ImportDataset.Arg(args, "--objects", "100000"), CultureInfo.InvariantCulture);
        var changes = long.Parse(ImportDataset.Arg(args, "--changes", "300000"), CultureInfo.InvariantCulture);
        var checkpoints = int.Parse(ImportDataset.Arg(args, "--checkpoints", "4"), CultureInfo.InvariantCulture);
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = objects, Seed = 1 }, cancellationToken);
        var model = server.Cluster;
        var path = model.EnumerateEntries("/")
            .Where(e => e.Type == FileType.Directory && e.Name != "wide")
            .MaxBy(e => Walk(model, e.Path).Entries)!.Path;

        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- churn-shape {string.Join(' ', args)}`");
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"A generated tree of {objects:N0} objects; the churn runs in {path} (the largest top-level directory), unpaced. Depth counts levels below that directory; path length is in UTF-8 bytes; rows a directory move carries is the mean number of entries below a directory, over all its directories."));
        Console.WriteLine();
        Console.WriteLine("| changes | area | entries | directories | depth p50 / p99 / max | path bytes p50 / p99 / max | rows a directory move carries (mean) |");
        Console.WriteLine("|---:|---|---:|---:|---|---|---:|");
        long done = 0;
        for (int k = 0; k <= checkpoints; k++)
        {
            long target = changes * k / checkpoints;
            if (target > done)
            {
                server.Load.Start(new LoadOptions { Shape = LoadShape.Churn, Path = path, Changes = target - done, Seed = k });
                var status = await server.Load.WaitAsync(cancellationToken);
                if (status.Error is not null)
                {
                    Console.Error.WriteLine($"load failed: {status.Error}");
                    return 1;
                }

                done = target;
            }

            foreach (var (area, shape) in new[] { ("churned", Walk(model, path)), ("scratch", Walk(model, ChurnWorkload.ScratchPath(path))) })
            {
                Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {done:N0} | {area} | {shape.Entries:N0} | {shape.Directories:N0} | {Quantile(shape.Depths, 0.5)} / {Quantile(shape.Depths, 0.99)} / {shape.Depths.Max()} | {Quantile(shape.PathBytes, 0.5)} / {Quantile(shape.PathBytes, 0.99)} / {shape.PathBytes.Max()} | {shape.MeanBelowDirectory:N0} |"));
            }
        }

        return 0;
    }

    private static int Quantile(List<int> values, double q)
    {
        values.Sort();
        return values[Math.Min(values.Count - 1, (int)(q * values.Count))];
    }

    private static Shape Walk(ClusterModel model, string root)
    {
        if (!model.EnumerateEntries("/").Any(e => e.Path == root))
        {
            return new Shape(0, 0, [0], [0], 0);
        }

        var depths = new List<int>();
        var bytes = new List<int>();
        long directories = 0, below = 0;

        // Entries below a directory, summed over directories, is the sum over entries of the
        // directories above them (the churned root included).
        var stack = new Stack<(string Path, int Depth)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (directory, depth) = stack.Pop();
            directories++;
            foreach (var entry in model.EnumerateEntries(directory))
            {
                depths.Add(depth + 1);
                bytes.Add(Encoding.UTF8.GetByteCount(entry.Path));
                below += depth + 1;
                if (entry.Type == FileType.Directory)
                {
                    stack.Push((entry.Path, depth + 1));
                }
            }
        }

        return new Shape(depths.Count, directories, depths, bytes, directories == 0 ? 0 : (double)below / directories);
    }

    private sealed record Shape(long Entries, long Directories, List<int> Depths, List<int> PathBytes, double MeanBelowDirectory);
}
