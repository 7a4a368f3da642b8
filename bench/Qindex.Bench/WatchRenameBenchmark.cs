using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Qindex.Index.Crawl;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Index.Watch;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Bench;

/// <summary>
/// A directory of --files files renamed while watching: time until a query sees every row under
/// the new name. With --move-in the directory lies outside the watched tree and is moved into it:
/// the watcher crawls it into one batch (time, and the process's peak working set before and
/// after, which the simulator's model shares).
/// </summary>
public sealed class WatchRenameBenchmark : IBenchmark
{
    public string Name => "watch-rename";

    public string Description => "time until a renamed directory of N files is visible under its new path: --files N [--move-in: moved into the watched tree from outside]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var i = Array.IndexOf(args, "--files");
        int files = i >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : 100_000;
        bool moveIn = args.Contains("--move-in");
        var dir = Directory.CreateTempSubdirectory("qindex-bench-rename-").FullName;
        try
        {
            await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1000, WideDirectoryEntries = files }, cancellationToken);
            using var client = new QumuloClient(new QumuloConnection { Host = server.BaseAddress.Host, Port = server.BaseAddress.Port, User = "admin", Password = "admin", PinSha256 = server.CertificateSha256 }, 32);
            await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(dir), cancellationToken);
            string root = "/";
            if (moveIn)
            {
                server.Cluster.CreateDirectory("/", "watched");
                root = "/watched/";
            }

            var crawl = await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "sim", RootPath = root }, store, null, cancellationToken);
            var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var visible = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
            var clock = new Stopwatch();
            var watcher = new Watcher(client, store, dir, new WatchOptions { ClusterHost = "sim", RootPath = root, BaselineInterval = null, MaintenanceInterval = null }, new WatchMetrics(), NullLogger.Instance);
            watcher.Committed += c =>
            {
                if (c.CatchUp)
                {
                    caughtUp.TrySetResult();
                }
                else if (clock.IsRunning)
                {
                    visible.TrySetResult(clock.Elapsed);
                }
            };
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var run = Task.Run(() => watcher.RunAsync(stop.Token), CancellationToken.None);
            await caughtUp.Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
            var peakBefore = Process.GetCurrentProcess().PeakWorkingSet64;
            var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            clock.Start();
            server.Cluster.Rename(root, "wide renamed", "/wide/");
            var committed = await visible.Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
            await stop.CancelAsync();
            await run;
            await using var engine = await QueryEngine.OpenAsync(store, cancellationToken);
            var result = await engine.QueryAsync(moveIn ? "SELECT count(*) FROM files WHERE starts_with(path, '/watched/wide renamed/')" : "SELECT count(*) FROM files WHERE starts_with(path, '/wide renamed/')", cancellationToken);
            var queried = clock.Elapsed;
            var peakAfter = Process.GetCurrentProcess().PeakWorkingSet64;
            var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
            Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- watch-rename {string.Join(' ', args)}`");
            Console.WriteLine();
            Console.WriteLine("| indexed rows | files in the renamed directory | moved | rename to committed | rows under the new path | rename to query answered | peak working set before / after | managed heap kept, before / after |");
            Console.WriteLine("|---:|---:|---|---:|---:|---:|---:|---:|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {crawl.Objects:N0} | {files:N0} | {(moveIn ? "into the watched tree" : "within the watched tree")} | {committed.TotalSeconds:F2} s | {result.Rows[0][0]} | {queried.TotalSeconds:F2} s | {peakBefore / 1048576.0:N0} / {peakAfter / 1048576.0:N0} MB | {heapBefore / 1048576.0:N0} / {heapAfter / 1048576.0:N0} MB |"));
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
