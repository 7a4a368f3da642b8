using System.Diagnostics;
using System.Globalization;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Bench;

/// <summary>
/// Directory listing throughput of the simulator over HTTPS (issue 2 target: 50,000 entries/s
/// or more on this 2-core machine), with the client in the same process.
/// </summary>
internal sealed class SimListingBenchmark : IBenchmark
{
    public string Name => "sim-listing";

    public string Description => "simulator directory listing entries/s over HTTPS (--entries N, default 100000; 1 and 4 readers)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var entries = int.Parse(ImportDataset.Arg(args, "--entries", "100000"), CultureInfo.InvariantCulture);
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 10, Seed = 1 }, cancellationToken);
        server.Cluster.CreateDirectory("/", "big");
        for (var i = 0; i < entries; i++)
        {
            server.Cluster.CreateFile("/big/", string.Create(CultureInfo.InvariantCulture, $"file {i:D7}.dat"));
        }

        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- sim-listing {string.Join(' ', args)}`");
        Console.WriteLine();
        Console.WriteLine($"One directory of {entries:N0} entries, pages of 1,000, HTTPS on loopback, client and simulator in one process on {Environment.ProcessorCount} cores.");
        Console.WriteLine();
        Console.WriteLine("| concurrent readers | entries listed | seconds | entries/s |");
        Console.WriteLine("|---:|---:|---:|---:|");
        using var client = new QumuloClient(CrawlBenchmark.Connection(server), 8);
        await ListAsync(client, cancellationToken); // warm-up
        foreach (var readers in new[] { 1, 4 })
        {
            var sw = Stopwatch.StartNew();
            var counts = await Task.WhenAll(Enumerable.Range(0, readers).Select(_ => ListAsync(client, cancellationToken)));
            var seconds = sw.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {readers} | {counts.Sum():N0} | {seconds:F2} | {counts.Sum() / seconds:N0} |"));
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Peak RSS: {CrawlBenchmark.PeakRssMb():N0} MB"));
        return 0;
    }

    private static async Task<long> ListAsync(QumuloClient client, CancellationToken cancellationToken)
    {
        long count = 0;
        await foreach (var page in client.ListEntryPagesAsync("/big/", null, 1000, cancellationToken))
        {
            using (page)
            {
                count += page.RootElement.GetProperty("files").GetArrayLength();
            }
        }

        return count;
    }
}
