using System.Diagnostics;
using System.Globalization;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Bench;

/// <summary>
/// How many single-entry attribute reads a second the simulator answers over HTTPS, with the
/// simulator in its own process and nothing else running: the ceiling of a watcher whose events
/// fall one or two to a directory, since each such event costs one read (issue 9, "resolve in
/// bulk"). Entries that exist and entries already gone (404, most reads under churn) apart.
/// </summary>
internal sealed class SimAttributesBenchmark : IBenchmark
{
    public string Name => "sim-attributes";

    public string Description => "simulator attribute reads/s over HTTPS, simulator in its own process (--objects N, default 1000000; --concurrency C, default 16 as the watcher; --seconds S, default 20; --load-rate R: the churn load running in /load/ meanwhile, default 0)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        long objects = long.Parse(ImportDataset.Arg(args, "--objects", "1000000"), CultureInfo.InvariantCulture);
        int concurrency = int.Parse(ImportDataset.Arg(args, "--concurrency", "16"), CultureInfo.InvariantCulture);
        int seconds = int.Parse(ImportDataset.Arg(args, "--seconds", "20"), CultureInfo.InvariantCulture);
        double loadRate = double.Parse(ImportDataset.Arg(args, "--load-rate", "0"), CultureInfo.InvariantCulture);
        await using var server = await BenchCluster.StartAsync(new SimulatorOptions { Objects = objects, Seed = 5 }, childProcess: true, cancellationToken);
        using var client = new QumuloClient(
            new QumuloConnection { Host = server.Host, Port = server.Port, User = "admin", Password = "admin", PinSha256 = server.CertificateSha256 },
            concurrency * 2);

        // Existing paths from the first directories reached breadth first, and as many that are not there.
        var paths = new List<string>();
        var directories = new Queue<string>(["/"]);
        while (paths.Count < 20_000 && directories.TryDequeue(out var directory))
        {
            await foreach (var entry in client.ListEntriesAsync(directory, null, 1000, cancellationToken))
            {
                string path = entry.GetProperty("path").GetString()!;
                paths.Add(path);
                if (path.EndsWith('/'))
                {
                    directories.Enqueue(path);
                }
            }
        }

        var missing = paths.Select(p => p.TrimEnd('/') + " (gone)").ToList();
        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- sim-attributes {string.Join(' ', args)}`");
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Simulator of {objects:N0} objects in its own process{(loadRate > 0 ? string.Create(CultureInfo.InvariantCulture, $" under a churn load of {loadRate:N0} changes/s") : string.Empty)}, HTTPS on loopback, {Environment.ProcessorCount} cores shared by client and simulator, {concurrency} reads in flight."));
        Console.WriteLine();
        Console.WriteLine("| entries read | reads | seconds | reads/s |");
        Console.WriteLine("|---|---:|---:|---:|");
        await ReadAsync(client, paths, concurrency, 3, cancellationToken); // warm-up
        if (loadRate > 0)
        {
            // The watch benchmark's load, in a tree of its own, with no notify stream open.
            await server.StartLoadAsync(new Qindex.Simulator.Load.LoadOptions { Rate = loadRate, Seed = 3, Path = "/load/" }, cancellationToken);
        }

        foreach (var (label, set) in new[] { ("existing", paths), ("gone (404)", missing) })
        {
            var (reads, elapsed) = await ReadAsync(client, set, concurrency, seconds, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {label} | {reads:N0} | {elapsed:F2} | {reads / elapsed:N0} |"));
        }

        if (loadRate > 0)
        {
            var load = await server.StopLoadAsync(cancellationToken);
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Meanwhile the churn load applied {load.Changes:N0} changes ({load.ChangesPerSecond:N0}/s) in /load/."));
        }

        return 0;
    }

    private static async Task<(long Reads, double Seconds)> ReadAsync(QumuloClient client, List<string> paths, int concurrency, int seconds, CancellationToken cancellationToken)
    {
        long reads = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            for (int i = worker; clock.Elapsed.TotalSeconds < seconds; i += concurrency)
            {
                await client.TryGetAttributesAsync(paths[i % paths.Count], null, cancellationToken);
                Interlocked.Increment(ref reads);
            }
        }));
        return (reads, clock.Elapsed.TotalSeconds);
    }
}
