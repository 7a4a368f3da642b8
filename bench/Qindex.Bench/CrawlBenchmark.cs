using System.Diagnostics;
using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Qindex.Index.Crawl;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Bench;

/// <summary>
/// Crawl throughput end to end (simulator in the same process, included in the measurement)
/// beside the users' baseline: a sequential page-by-page walk to NDJSON, then NDJSON to Parquet.
/// </summary>
internal sealed class CrawlBenchmark : IBenchmark
{
    public string Name => "crawl";

    public string Description => "qindex crawl objects/s vs sequential walk to NDJSON + Parquet (--objects N[,N...], --concurrency C, --baseline yes|no, --snapshot auto|none)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var sizes = ImportDataset.Arg(args, "--objects", "100000").Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var concurrency = int.Parse(ImportDataset.Arg(args, "--concurrency", "8"), CultureInfo.InvariantCulture);
        var baseline = ImportDataset.Arg(args, "--baseline", "yes") == "yes";
        var fromSnapshot = ImportDataset.Arg(args, "--snapshot", "auto") == "auto";
        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- crawl {string.Join(' ', args)}`");
        Console.WriteLine();
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores; simulator in the same process over HTTPS on loopback; crawl concurrency {concurrency}.");
        Console.WriteLine();
        Console.WriteLine("| objects | qindex crawl s | qindex objects/s | peak RSS MB | baseline walk to NDJSON s | NDJSON to Parquet s | baseline total s | baseline objects/s |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        // Both code paths are warmed (JIT) on a small tree first; each measurement then gets a
        // freshly started simulator, so neither method profits from the other's warm caches.
        await MeasureAsync(5_000, concurrency, fromSnapshot, baseline, print: false, cancellationToken);
        foreach (var objects in sizes)
        {
            await MeasureAsync(objects, concurrency, fromSnapshot, baseline, print: true, cancellationToken);
        }

        return 0;
    }

    private static async Task MeasureAsync(long objects, int concurrency, bool fromSnapshot, bool baseline, bool print, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("qindex-bench-crawl-").FullName;
        try
        {
            string walk = "-", convert = "-", total = "-", rate = "-";
            if (baseline)
            {
                await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = objects, Seed = 1 }, cancellationToken);
                using var client = new QumuloClient(Connection(server), concurrency * 2);
                var (w, c, n) = await BaselineAsync(client, dir, cancellationToken);
                walk = w.ToString("F1", CultureInfo.InvariantCulture);
                convert = c.ToString("F1", CultureInfo.InvariantCulture);
                total = (w + c).ToString("F1", CultureInfo.InvariantCulture);
                rate = (n / (w + c)).ToString("N0", CultureInfo.InvariantCulture);
            }

            await using (var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = objects, Seed = 1 }, cancellationToken))
            {
                using var client = new QumuloClient(Connection(server), concurrency * 2);
                var sw = Stopwatch.StartNew();
                CrawlResult result;
                await using (var store = await IndexStoreFactory.OpenAsync(new IndexLocation(Path.Combine(dir, "index")), cancellationToken))
                {
                    result = await new Crawler(client).RunAsync(
                        new CrawlOptions { ClusterHost = "sim", RootPath = "/", Concurrency = concurrency, SnapshotMode = fromSnapshot ? CrawlSnapshotMode.Auto : CrawlSnapshotMode.None },
                        store,
                        null,
                        cancellationToken);
                }

                var crawlSeconds = sw.Elapsed.TotalSeconds;
                if (print)
                {
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {result.Objects:N0} | {crawlSeconds:F1} | {result.Objects / crawlSeconds:N0} | {PeakRssMb():N0} | {walk} | {convert} | {total} | {rate} |"));
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static QumuloConnection Connection(SimulatorServer server) => new()
    {
        Host = server.BaseAddress.Host,
        Port = server.BaseAddress.Port,
        User = "admin",
        Password = "admin",
        PinSha256 = server.CertificateSha256,
    };

    /// <summary>What users run today: one directory at a time, one page at a time, NDJSON out, then a conversion.</summary>
    private static async Task<(double Walk, double Convert, long Objects)> BaselineAsync(QumuloClient client, string dir, CancellationToken cancellationToken)
    {
        var ndjson = Path.Combine(dir, "walk.ndjson");
        var sw = Stopwatch.StartNew();
        long objects = 0;
        await using (var output = new StreamWriter(ndjson, false, new UTF8Encoding(false), 1 << 20))
        {
            var queue = new Queue<string>();
            queue.Enqueue("/");
            while (queue.Count > 0)
            {
                await foreach (var entry in client.ListEntriesAsync(queue.Dequeue(), null, 1000, cancellationToken))
                {
                    await output.WriteLineAsync(entry.GetRawText());
                    objects++;
                    if (entry.GetProperty("type").GetString() == "FS_FILE_TYPE_DIRECTORY")
                    {
                        queue.Enqueue(entry.GetProperty("id").GetString()!);
                    }
                }
            }
        }

        var walk = sw.Elapsed.TotalSeconds;
        sw.Restart();
        await using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            await duck.OpenAsync(cancellationToken);
            await using var command = duck.CreateCommand();
            // Paths are the benchmark's own temporary files; quotes are doubled all the same.
            command.CommandText = $"COPY (SELECT * FROM read_json('{ndjson.Replace("'", "''", StringComparison.Ordinal)}', format='newline_delimited')) TO '{Path.Combine(dir, "walk.parquet").Replace("'", "''", StringComparison.Ordinal)}' (FORMAT parquet)";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return (walk, sw.Elapsed.TotalSeconds, objects);
    }

    internal static double PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
            }
        }

        return double.NaN;
    }
}
