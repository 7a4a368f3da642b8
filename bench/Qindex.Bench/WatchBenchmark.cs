using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Qindex.Index.Compaction;
using Qindex.Index.Crawl;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Index.Watch;
using Qindex.Qumulo;
using Qindex.Simulator;
using Qindex.Simulator.Load;

namespace Qindex.Bench;

/// <summary>
/// The watcher under the in-simulator load: a crawled Iceberg index of --objects rows, then
/// --seconds of load at --rate changes/s; reports changes applied per second and event-to-visible
/// latency, beside the same run with one commit per event (the users' prototype). With
/// --sim-process the simulated cluster runs in a child process, so the peak working set is the
/// watcher's own (the simulator's is printed beside it), as it is beside a real cluster. The
/// crawl's peak and the watch's are printed apart: the peak is reset once the crawl is indexed.
/// --trace prints a line a batch on stderr; --gc-events adds why the oldest generation was
/// collected and what the large-object heap was allocated for (<see cref="GcEvents"/>).
/// </summary>
public sealed class WatchBenchmark : IBenchmark
{
    public string Name => "watch";

    public string Description => "watch throughput and event-to-visible latency under in-simulator load, beside per-event commits";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        long objects = Arg(args, "--objects", 100_000);
        double rate = Arg(args, "--rate", 5_000);
        int seconds = (int)Arg(args, "--seconds", 30);
        double baselineRate = Arg(args, "--baseline-rate", 200);
        int baselineSeconds = (int)Arg(args, "--baseline-seconds", 10);
        bool trace = args.Contains("--trace");
        string shape = args.SkipWhile(a => a != "--shape").Skip(1).FirstOrDefault() ?? "churn";
        int maxTreeDelete = (int)Arg(args, "--max-tree-delete", 100);
        var defaults = new WatchOptions { ClusterHost = "x", RootPath = "/" };
        int listThreshold = (int)Arg(args, "--list-threshold", defaults.ListThreshold);
        int resolveConcurrency = (int)Arg(args, "--resolve-concurrency", defaults.ResolveConcurrency);
        int maxBatch = (int)Arg(args, "--max-batch", defaults.MaxBatch);
        var extras = new Extras((long)Arg(args, "--burst", 0), Arg(args, "--burst-rate", 20_000), (int)Arg(args, "--rename-files", 0), listThreshold, resolveConcurrency, maxBatch, args.Contains("--sim-process"), args.Contains("--gc-events"));
        string loadPath = args.SkipWhile(a => a != "--load-path").Skip(1).FirstOrDefault() ?? "largest";

        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- watch {string.Join(' ', args)}`");
        Console.WriteLine();
        Console.WriteLine("| mode | rows | load | offered changes/s | events applied | applied events/s | commits | lag p50 | lag p99 | lag max | data+delete files before / after (compactions) | peak working set (crawl / watch) |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        await RunOneAsync("batched (1 s window)", objects, rate, seconds, shape, loadPath, maxTreeDelete, perEvent: false, trace, extras, cancellationToken);
        if (baselineSeconds <= 0)
        {
            return 0;
        }

        await RunOneAsync("per-event commit", objects, baselineRate, baselineSeconds, shape, loadPath, maxTreeDelete, perEvent: true, trace: false, extras with { Burst = 0, RenameFiles = 0 }, cancellationToken);
        return 0;
    }

    private static async Task RunOneAsync(string mode, long objects, double rate, int seconds, string shape, string loadPath, int maxTreeDelete, bool perEvent, bool trace, Extras extras, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("qindex-bench-watch-").FullName;
        try
        {
            await using var server = await BenchCluster.StartAsync(new SimulatorOptions { Objects = objects, Seed = 5, WatchCapacity = 4_000_000, WideDirectoryEntries = extras.RenameFiles }, extras.SimProcess, cancellationToken);
            using var client = new QumuloClient(new QumuloConnection
            {
                Host = server.Host,
                Port = server.Port,
                User = "admin",
                Password = "admin",
                PinSha256 = server.CertificateSha256,
            }, 32);
            // "largest": the generated top-level directory holding the most objects, so the load
            // changes rows the crawl indexed (renames, writes and deletes scattered over data files);
            // a literal path (for example /load/) confines it to a tree of its own.
            var path = loadPath == "largest" ? await LargestTopDirectoryAsync(client, cancellationToken) : loadPath;
            await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(dir), cancellationToken);
            var crawl = await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/" }, store, null, cancellationToken);
            var crawlPeak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024);

            // As the watcher does after the crawl of its first catch-up.
            long heapAfterCrawl = GC.GetGCMemoryInfo().HeapSizeBytes;
            var released = Stopwatch.StartNew();
            CrawlMemory.Release();
            if (trace)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"after the crawl: managed heap {heapAfterCrawl / 1048576} MB, {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576} MB after releasing its memory ({released.ElapsedMilliseconds} ms); working set {Environment.WorkingSet / 1048576} MB"));
            }
            var options = new WatchOptions
            {
                ClusterHost = "sim",
                RootPath = "/",
                BatchWindow = perEvent ? TimeSpan.FromMilliseconds(1) : TimeSpan.FromSeconds(1),
                MaxBatch = perEvent ? 1 : extras.MaxBatch,
                BaselineInterval = null,
                MaintenanceInterval = null,
                ListThreshold = extras.ListThreshold,
                ResolveConcurrency = extras.ResolveConcurrency,
            };
            var lags = new List<(double Seconds, int Events)>();
            long applied = 0, commits = 0;
            var lastCommit = Stopwatch.StartNew();
            var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var compactions = 0;
            var catchUps = 0;
            await using var compaction = new BackgroundCompaction(
                (IcebergIndexStore)store,
                new CompactionOptions(),
                (result, elapsed) =>
                {
                    Interlocked.Increment(ref compactions);
                    if (trace)
                    {
                        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"compaction: {result.Reason}, {elapsed.TotalMilliseconds:F0} ms"));
                    }
                },
                e => Console.Error.WriteLine($"compaction failed: {e.Message}"));
            var metrics = new WatchMetrics();
            using var gcEvents = extras.GcEvents ? new GcEvents() : null;
            var lastPause = GC.GetTotalPauseDuration();
            var lastCollections = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2));
            var watcher = new Watcher(client, store, dir, options, metrics, NullLogger.Instance)
            {
                // As `qindex watch` does: compaction started in the background after every batch
                // when due (snapshot expiry and orphan cleanup, every 5 minutes there, are left out).
                Compaction = _ =>
                {
                    compaction.StartIfDue();
                    return Task.CompletedTask;
                },
            };
            watcher.Committed += c =>
            {
                if (c.CatchUp)
                {
                    if (caughtUp.Task.IsCompleted)
                    {
                        // A stream dropped (the buffer overflowed) and caught up from a snapshot:
                        // the events it dropped will never be applied one by one.
                        Interlocked.Increment(ref catchUps);
                        if (trace)
                        {
                            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"catch-up after a dropped stream: {c.Events} changes, {c.Elapsed.TotalMilliseconds:F0} ms"));
                        }
                    }

                    caughtUp.TrySetResult();
                    return;
                }

                if (trace)
                {
                    var pause = GC.GetTotalPauseDuration();
                    var gcs = $"GC pauses {(pause - lastPause).TotalMilliseconds:F0} ms, collections {GC.CollectionCount(0) - lastCollections.Gen0}/{GC.CollectionCount(1) - lastCollections.Gen1}/{GC.CollectionCount(2) - lastCollections.Gen2}";
                    lastPause = pause;
                    lastCollections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                    var heap = GC.GetGCMemoryInfo();
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"batch: {gcs}; {c.Events} events, {c.Stats.Upserts} upserts, {c.Stats.Deletes} deletes, {c.Stats.AttributeRequests} attribute requests ({c.Stats.Split}), {c.Stats.Listings} listings, {c.Stats.LinkQueries} index queries for hard links ({c.Stats.LinkQueryTime.TotalMilliseconds:F0} ms, after waiting {c.Stats.SettleTime.TotalMilliseconds:F0} ms for the previous commit); resolve {c.Resolve.TotalMilliseconds:F0} ms, journal and commit {(c.Elapsed - c.Resolve).TotalMilliseconds:F0} ms; managed heap {heap.HeapSizeBytes / 1048576} MB (free inside {heap.FragmentedBytes / 1048576} MB), working set {Environment.WorkingSet / 1048576} MB; store {(store as IcebergIndexStore)?.Memory}, {(store as IcebergIndexStore)?.LastChangeTimings}"));
                    if (gcEvents is not null)
                    {
                        Console.Error.WriteLine("gc: " + gcEvents.TakeSummary());
                    }
                }

                lock (lags)
                {
                    applied += c.Events;
                    commits++;
                    lags.AddRange(c.Lags.Select(l => (l.Lag.TotalSeconds, l.Events)));
                    lastCommit.Restart();
                }
            };
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var run = Task.Run(() => watcher.RunAsync(stop.Token), CancellationToken.None);
            await caughtUp.Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);

            // The crawl ran in this process first; the watch's own peak starts from here.
            bool watchPeakApart = ResetPeakWorkingSet();

            var before = await store.GetStatusAsync(cancellationToken);
            var clock = Stopwatch.StartNew();
            await server.StartLoadAsync(new LoadOptions { Rate = rate, Seed = 3, Path = path, MaxTreeDelete = maxTreeDelete, Shape = shape == "unpack" ? LoadShape.Unpack : LoadShape.Churn }, cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken);
            var status = await server.StopLoadAsync(cancellationToken);
            var loadTime = clock.Elapsed;

            // Drained: nothing buffered, every event taken from the stream is in a committed batch,
            // and so for a whole second (the simulator sends at once; the second covers the socket).
            // Returns when the last batch was committed.
            async Task<TimeSpan> DrainAsync(Stopwatch since)
            {
                var limit = Stopwatch.StartNew();
                var settled = Stopwatch.StartNew();
                var lastCommitAt = since.Elapsed;
                double lastReceived = -1;
                int catchUpsSeen = Volatile.Read(ref catchUps);
                while (limit.Elapsed < TimeSpan.FromSeconds(600))
                {
                    double received = metrics.EventsReceived.GetAllLabelValues().Sum(l => metrics.EventsReceived.WithLabels(l).Value);

                    // After a dropped stream's catch-up, the events it dropped count as applied.
                    bool caughtUpSince = Volatile.Read(ref catchUps) > catchUpsSeen && received == lastReceived;
                    lastReceived = received;
                    lock (lags)
                    {
                        if ((received > applied && !caughtUpSince) || metrics.Buffered.Value > 0)
                        {
                            settled.Restart();
                        }

                        lastCommitAt = since.Elapsed - lastCommit.Elapsed;
                    }

                    if (settled.Elapsed > TimeSpan.FromSeconds(1))
                    {
                        return lastCommitAt;
                    }

                    await Task.Delay(50, cancellationToken);
                }

                Console.Error.WriteLine("the watcher did not drain within 600 s");
                return since.Elapsed;
            }

            var activeSeconds = (await DrainAsync(clock)).TotalSeconds;
            var after = await store.GetStatusAsync(cancellationToken);
            List<(double Seconds, int Events)> sorted;
            long churnApplied;
            lock (lags)
            {
                sorted = lags.OrderBy(l => l.Seconds).ToList();
                churnApplied = applied;
            }

            var lines = new List<string>();
            if (extras.Burst > 0)
            {
                // An archive unpacked inside the tree: creates and writes as fast as offered.
                long appliedBefore;
                lock (lags)
                {
                    appliedBefore = applied;
                }

                var burstClock = Stopwatch.StartNew();
                await server.StartLoadAsync(new LoadOptions { Rate = extras.BurstRate, Changes = extras.Burst, Seed = 4, Path = "/unpacked archive/", Shape = LoadShape.Unpack }, cancellationToken);
                var burst = await server.WaitLoadAsync(cancellationToken);
                var absorbed = await DrainAsync(burstClock);
                long burstEvents;
                lock (lags)
                {
                    burstEvents = applied - appliedBefore;
                }

                lines.Add("| burst | changes | events applied | offered changes/s | start to last commit | absorbed changes/s |");
                lines.Add("|---|---:|---:|---:|---:|---:|");
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"| unpack | {burst.Changes:N0} | {burstEvents:N0} | {burst.ChangesPerSecond:N0} | {absorbed.TotalSeconds:F2} s | {burst.Changes / absorbed.TotalSeconds:N0} |"));
                lines.Add(string.Empty);
            }

            if (extras.RenameFiles > 0)
            {
                var renameClock = Stopwatch.StartNew();
                await client.RenameAsync("/", "wide renamed", "/wide/", clobber: false, cancellationToken);
                await Task.Delay(200, cancellationToken);
                var committed = await DrainAsync(renameClock);
                await using var engine = await QueryEngine.OpenAsync(store, cancellationToken);
                var under = await engine.QueryAsync("SELECT count(*) FROM files WHERE starts_with(path, '/wide renamed/')", cancellationToken);
                lines.Add("| renamed directory | files | rename to committed | rows under the new path | rename to query answered |");
                lines.Add("|---|---:|---:|---:|---:|");
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"| /wide/ | {extras.RenameFiles:N0} | {committed.TotalSeconds:F2} s | {under.Rows[0][0]} | {renameClock.Elapsed.TotalSeconds:F2} s |"));
                lines.Add(string.Empty);
            }

            await stop.CancelAsync();
            await run;
            double Percentile(double p)
            {
                var total = sorted.Sum(l => (long)l.Events);
                var target = total * p;
                long seen = 0;
                foreach (var (lag, count) in sorted)
                {
                    seen += count;
                    if (seen >= target)
                    {
                        return lag;
                    }
                }

                return sorted.Count == 0 ? double.NaN : sorted[^1].Seconds;
            }

            var peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024);
            var peaks = watchPeakApart
                ? string.Create(CultureInfo.InvariantCulture, $"{crawlPeak:N0} / {peak:N0} MB")
                : string.Create(CultureInfo.InvariantCulture, $"{peak:N0} MB (whole run)");
            var simulatorPeak = server.ChildPeakMegabytes() is { } apart ? string.Create(CultureInfo.InvariantCulture, $" (simulator apart: {apart:N0} MB)") : string.Empty;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {mode} | {crawl.Objects:N0} | {shape} {seconds} s in {Describe(path)} | {status.ChangesPerSecond:N0} | {churnApplied:N0} | {churnApplied / activeSeconds:N0} | {commits:N0}{(catchUps > 0 ? $" (+{catchUps} catch-up)" : string.Empty)} | {Percentile(0.5):F2} s | {Percentile(0.99):F2} s | {(sorted.Count == 0 ? 0 : sorted[^1].Seconds):F2} s | {before.DataFiles + before.DeleteFiles} / {after.DataFiles + after.DeleteFiles} ({compactions}) | {peaks}{simulatorPeak} |"));
            if (lines.Count > 0)
            {
                Console.WriteLine();
                lines.ForEach(Console.WriteLine);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The top-level directory with the most objects under it (one aggregates request).</summary>
    internal static async Task<string> LargestTopDirectoryAsync(QumuloClient client, CancellationToken cancellationToken)
    {
        var aggregates = await client.GetAggregatesAsync("/", recursive: false, null, cancellationToken);
        var largest = aggregates.GetProperty("files").EnumerateArray()
            .Where(f => f.GetProperty("type").GetString() == "FS_FILE_TYPE_DIRECTORY" && f.GetProperty("name").GetString() != "wide")
            .MaxBy(f => long.Parse(f.GetProperty("num_files").GetString()!, CultureInfo.InvariantCulture) + long.Parse(f.GetProperty("num_directories").GetString()!, CultureInfo.InvariantCulture));
        return "/" + largest.GetProperty("name").GetString() + "/";
    }

    /// <summary>
    /// Sets the process's peak resident set size (VmHWM, which PeakWorkingSet64 reads) to its
    /// current size, through Linux's /proc/self/clear_refs; false where that is not available.
    /// </summary>
    internal static bool ResetPeakWorkingSet()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Phases run after the sustained load, on the same index (a burst of creates, a directory rename), and the watcher's options under test (listing threshold, requests in flight, events a batch).</summary>
    private sealed record Extras(long Burst, double BurstRate, int RenameFiles, int ListThreshold, int ResolveConcurrency, int MaxBatch, bool SimProcess, bool GcEvents = false);

    private static string Describe(string path) => path.Length > 24 ? path[..24] + "..." : path;

    private static double Arg(string[] args, string name, double fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static long Arg(string[] args, string name, long fallback) => (long)Arg(args, name, (double)fallback);
}
