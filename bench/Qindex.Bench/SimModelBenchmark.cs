using System.Diagnostics;
using System.Globalization;
using Qindex.Simulator.Generation;
using Qindex.Simulator.Model;

namespace Qindex.Bench;

/// <summary>
/// Memory and full-enumeration speed of the simulator's generated model, in process (no HTTP):
/// the skeleton build, the managed heap it holds, then a breadth-first listing of every directory
/// in pages of 1,000, as a crawler would do.
/// </summary>
public sealed class SimModelBenchmark : IBenchmark
{
    public string Name => "sim-model";

    public string Description => "simulator model: memory of a generated tree and full enumeration speed (--objects N --seed S)";

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        long objects = 10_000_000;
        long seed = 1;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--objects": objects = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seed": seed = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}; use --objects N --seed S");
                    return Task.FromResult(2);
            }
        }

        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var build = Stopwatch.StartNew();
        var tree = new GeneratedTree(new GeneratedTreeOptions(seed, objects));
        var model = ClusterModel.CreateGenerated(tree);
        build.Stop();
        long heapModel = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;

        var enumerate = Stopwatch.StartNew();
        long seen = 1;
        var queue = new Queue<string>();
        queue.Enqueue("2");
        while (queue.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string dir = queue.Dequeue();
            string? after = null;
            do
            {
                var page = model.ListEntries(dir, 1000, after);
                foreach (var f in page.Files)
                {
                    seen++;
                    if (f.Type == FileType.Directory)
                    {
                        queue.Enqueue(f.Id.ToString(CultureInfo.InvariantCulture));
                    }
                }

                after = page.Next;
            }
            while (after is not null);
        }

        enumerate.Stop();
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;

        // Churn between two snapshots, then a full changes-since: its cost should follow the churn.
        const int churn = 100_000;
        var older = model.CreateSnapshot();
        var rng = new Random(42);
        var mutate = Stopwatch.StartNew();
        for (int i = 0; i < churn; i++)
        {
            string dir = (ClusterModel.RootId + rng.Next(tree.DirectoryCount)).ToString(CultureInfo.InvariantCulture);
            var created = model.CreateFile(dir, $"bench-{i}");
            model.WriteData(created.Id.ToString(CultureInfo.InvariantCulture), 0, rng.Next(1, 100_000));
        }

        mutate.Stop();
        var newer = model.CreateSnapshot();
        var diff = Stopwatch.StartNew();
        long changes = 0;
        string? token = null;
        do
        {
            var page = model.ChangesSince(newer.Id, older.Id, token, 1000);
            changes += page.Entries.Count;
            token = page.Next;
        }
        while (token is not null);
        diff.Stop();
        long heapChurn = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var (largestId, largestEntries) = tree.LargestDirectory;

        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- sim-model --objects {objects} --seed {seed}`");
        Console.WriteLine();
        Console.WriteLine("| measure | value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| objects requested / enumerated | {objects:N0} / {seen:N0} |");
        Console.WriteLine($"| directories / max depth / largest directory | {tree.DirectoryCount:N0} / {tree.MaxDepth} / {largestEntries:N0} entries (id {largestId}) |");
        Console.WriteLine($"| skeleton build time | {build.Elapsed.TotalSeconds:F2} s |");
        Console.WriteLine($"| managed heap held by the model | {heapModel / 1048576.0:F1} MiB |");
        Console.WriteLine($"| full enumeration (pages of 1,000) | {enumerate.Elapsed.TotalSeconds:F1} s, {seen / enumerate.Elapsed.TotalSeconds:N0} objects/s |");
        Console.WriteLine($"| managed heap after enumeration | {heapAfter / 1048576.0:F1} MiB |");
        Console.WriteLine($"| {churn:N0} creates + {churn:N0} writes | {mutate.Elapsed.TotalSeconds:F1} s, {2 * churn / mutate.Elapsed.TotalSeconds:N0} mutations/s |");
        Console.WriteLine($"| changes-since over that churn | {changes:N0} entries in {diff.Elapsed.TotalSeconds:F2} s |");
        Console.WriteLine($"| managed heap after churn (two snapshots held) | {heapChurn / 1048576.0:F1} MiB |");
        Console.WriteLine($"| peak working set of the process | {process.PeakWorkingSet64 / 1048576.0:F0} MiB |");
        return Task.FromResult(seen == objects ? 0 : 1);
    }
}
