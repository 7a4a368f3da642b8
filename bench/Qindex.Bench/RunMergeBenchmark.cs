using System.Diagnostics;
using System.Globalization;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Bench;

/// <summary>
/// The memory of a crawl's write path without the cluster: rows in scrambled path order go into a
/// <see cref="SortedRunWriter"/> (sorted runs written as they fill), then its k-way merge turns the
/// runs into sorted, disjoint data files. Each phase's peak resident memory is printed apart; the
/// merge reads every run at once, so its memory grows with the number of runs.
/// </summary>
public sealed class RunMergeBenchmark : IBenchmark
{
    public string Name => "run-merge";

    public string Description => "a crawl's sorted runs and their merge, without a cluster: time and peak memory of each phase (--rows N)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        long rows = 10_000_000;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--rows": rows = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}; use --rows N");
                    return 2;
            }
        }

        var dir = Directory.CreateTempSubdirectory("qindex-bench-merge-").FullName;
        try
        {
            await using var writer = new SortedRunWriter(dir, IcebergIndexStore.DefaultRunRows, "bench");
            var now = DateTimeOffset.UtcNow;
            ResetPeak();
            var runs = Stopwatch.StartNew();

            // A multiplier coprime with the row count visits every row once, in an order whose
            // paths interleave across runs as a breadth-first crawl's do.
            long step = 1_000_003;
            while (GreatestCommonDivisor(step, rows) != 1)
            {
                step += 2;
            }

            for (long i = 0; i < rows; i++)
            {
                long n = i * step % rows;
                await writer.AddAsync(Row(n, now), cancellationToken);
            }

            runs.Stop();
            double runsPeak = PeakMegabytes();
            ResetPeak();
            var merge = Stopwatch.StartNew();
            var merged = await writer.CompleteAsync(cancellationToken);
            merge.Stop();
            double mergePeak = PeakMegabytes();
            long runFiles = (rows + IcebergIndexStore.DefaultRunRows - 1) / IcebergIndexStore.DefaultRunRows;

            Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- run-merge {string.Join(' ', args)}`");
            Console.WriteLine();
            Console.WriteLine("| rows | runs of 131,072 rows | runs written s | runs peak working set | last run and merge s | their peak working set | files after the merge | their bytes |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {rows:N0} | {runFiles:N0} | {runs.Elapsed.TotalSeconds:F1} | {runsPeak:N0} MB | {merge.Elapsed.TotalSeconds:F1} | {mergePeak:N0} MB | {merged.Count:N0} | {merged.Sum(f => f.FileSizeInBytes) / 1048576.0:N0} MB |"));
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static FileRecord Row(long n, DateTimeOffset now)
    {
        // 500,000 directories of 20 entries each at 10M rows, paths near 100 bytes as a crawl's.
        long directory = n / 20;
        string parent = string.Create(CultureInfo.InvariantCulture, $"/projects/group-{directory % 97:D2}/dataset-{directory:D7}/results/");
        string name = string.Create(CultureInfo.InvariantCulture, $"sample-{n:D9}-analysis-output.dat");
        return new FileRecord
        {
            Path = parent + name,
            Name = name,
            NumLinks = 1,
            Type = "FS_FILE_TYPE_FILE",
            Id = (n + 3).ToString(CultureInfo.InvariantCulture),
            Mode = 420,
            Owner = 1000 + (n % 50),
            OwnerIdType = "LOCAL_USER",
            OwnerIdValue = (1000 + (n % 50)).ToString(CultureInfo.InvariantCulture),
            Group = 100,
            GroupIdType = "LOCAL_GROUP",
            GroupIdValue = "100",
            Blocks = n % 4096,
            Datablocks = n % 4096,
            Metablocks = 1,
            Size = n * 37 % 16_777_216,
            AccessTime = now.AddSeconds(-(n % 86_400)),
            ModificationTime = now.AddSeconds(-(n % 604_800)),
            ChangeTime = now.AddSeconds(-(n % 604_800)),
            CreationTime = now.AddSeconds(-(n % 2_592_000)),
        };
    }

    private static long GreatestCommonDivisor(long a, long b) => b == 0 ? a : GreatestCommonDivisor(b, a % b);

    private static double PeakMegabytes() => Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024);

    private static void ResetPeak()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Without it the merge's peak includes the runs' phase.
        }
    }
}
