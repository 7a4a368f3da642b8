using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Qindex.Index.Crawl;
using Qindex.Index.Snapshots;
using Qindex.Index.Store;
using Qindex.Index.Watch;
using Qindex.Qumulo;
using Qindex.Simulator;
using Qindex.Simulator.Load;

namespace Qindex.Bench;

/// <summary>
/// A catch-up without a snapshot difference (docs/decisions/0016-catch-up-by-walk.md): the index
/// is crawled, the in-simulator load changes the tree while nothing watches, then a catch-up as a
/// user without snapshot privileges walks the tree and compares it with the index. Printed beside
/// the crawl it repeats, with each phase's peak resident memory (the simulator in its own process).
/// </summary>
internal sealed class CatchUpWalkBenchmark : IBenchmark
{
    public string Name => "catch-up-walk";

    public string Description => "catch-up by walk and comparison vs the crawl (--objects N, --changes C made during the gap, --load-path DIR|largest)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        long objects = long.Parse(ImportDataset.Arg(args, "--objects", "1000000"), CultureInfo.InvariantCulture);
        long changes = long.Parse(ImportDataset.Arg(args, "--changes", "10000"), CultureInfo.InvariantCulture);
        string loadPath = ImportDataset.Arg(args, "--load-path", "largest");
        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- catch-up-walk {string.Join(' ', args)}`");
        Console.WriteLine();

        var dir = Directory.CreateTempSubdirectory("qindex-bench-catchup-").FullName;
        try
        {
            await using var server = await BenchCluster.StartAsync(new SimulatorOptions { Objects = objects, Seed = 5 }, childProcess: true, cancellationToken);
            QumuloConnection Connection(string user) => new() { Host = server.Host, Port = server.Port, User = user, Password = user, PinSha256 = server.CertificateSha256 };
            using var admin = new QumuloClient(Connection("admin"), 32);
            using var watcher = new QumuloClient(Connection("watcher"), 32);
            var path = loadPath == "largest" ? await WatchBenchmark.LargestTopDirectoryAsync(admin, cancellationToken) : loadPath;
            await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(dir), cancellationToken);

            var crawlTime = Stopwatch.StartNew();
            var crawl = await new Crawler(admin).RunAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/", SnapshotMode = CrawlSnapshotMode.None }, store, null, cancellationToken);
            var crawlSeconds = crawlTime.Elapsed.TotalSeconds;
            var crawlPeak = CrawlBenchmark.PeakRssMb();
            CrawlMemory.Release();

            await server.StartLoadAsync(new LoadOptions { Rate = 0, Changes = changes, Seed = 3, Path = path }, cancellationToken);
            var (applied, _) = await server.WaitLoadAsync(cancellationToken);

            bool peakApart = WatchBenchmark.ResetPeakWorkingSet();
            var options = new WatchOptions { ClusterHost = "sim", RootPath = "/" };
            var catchUp = new CatchUp(watcher, store, new PlanApplier(watcher, options), new TouchedPathJournal(dir), options, BaselineSnapshots.For(watcher, store), NullLogger.Instance);
            var baseline = (await store.GetStatusAsync(cancellationToken)).Baseline;
            using var sampling = new CancellationTokenSource();
            var sampler = args.Contains("--trace") ? Task.Run(async () =>
            {
                var clock = Stopwatch.StartNew();
                while (!sampling.IsCancellationRequested)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalSeconds:F0} s: working set {Environment.WorkingSet / 1048576} MB, managed heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576} MB"));
                    await Task.Delay(1000, CancellationToken.None);
                }
            }) : Task.CompletedTask;
            var result = await catchUp.RunAsync(baseline, new Dictionary<string, string>(), cancellationToken);
            await sampling.CancelAsync();
            await sampler;
            var catchUpPeak = CrawlBenchmark.PeakRssMb();
            var status = await store.GetStatusAsync(cancellationToken);

            Console.WriteLine($"Machine: {Environment.ProcessorCount} cores; simulator in its own process over HTTPS on loopback; load of {applied:N0} changes in {path} between the crawl and the catch-up.");
            Console.WriteLine();
            Console.WriteLine("| objects | crawl s | crawl peak RSS MB | catch-up mode | catch-up s | rows that differed | catch-up peak RSS MB | rows after |");
            Console.WriteLine("|---:|---:|---:|---|---:|---:|---:|---:|");
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {crawl.Objects:N0} | {crawlSeconds:F1} | {crawlPeak:N0} | {result.Mode} | {result.Elapsed.TotalSeconds:F1} | {result.Changes:N0} | {catchUpPeak:N0}{(peakApart ? string.Empty : " (whole run)")} | {status.Rows:N0} |"));
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
