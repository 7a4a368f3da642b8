using System.Diagnostics;
using System.Globalization;
using Qindex.Qumulo;
using Qindex.Simulator;
using Qindex.Simulator.Load;

namespace Qindex.Bench;

/// <summary>
/// The in-simulator load (issue 9 item 9 target: 20,000 changes/s or more applied to the model,
/// with their notifications): a bounded burst of each shape on a generated tree, once with no
/// watcher and once with a recursive notify stream on the root read over HTTPS by the client in
/// the same process, counting every event it receives and whether it kept up (no dropped watch).
/// </summary>
internal sealed class SimLoadBenchmark : IBenchmark
{
    public string Name => "sim-load";

    public string Description => "in-simulator load: changes/s on the model, with and without a notify stream (--objects N --changes N --rate R)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var objects = long.Parse(ImportDataset.Arg(args, "--objects", "1000000"), CultureInfo.InvariantCulture);
        var changes = long.Parse(ImportDataset.Arg(args, "--changes", "100000"), CultureInfo.InvariantCulture);
        var rate = double.Parse(ImportDataset.Arg(args, "--rate", "0"), CultureInfo.InvariantCulture);
        var capacity = int.Parse(ImportDataset.Arg(args, "--watch-capacity", "65536"), CultureInfo.InvariantCulture);
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = objects, Seed = 1, WatchCapacity = capacity }, cancellationToken);

        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- sim-load {string.Join(' ', args)}`");
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"A generated tree of {objects:N0} objects; each burst is {changes:N0} changes under its own directory; rate {(rate > 0 ? rate.ToString("N0", CultureInfo.InvariantCulture) + " changes/s" : "unlimited")}; a notify stream holds {capacity:N0} unsent events before it is dropped; {Environment.ProcessorCount} cores. Process CPU covers the burst and, with a stream, delivering and parsing every event."));
        Console.WriteLine();
        Console.WriteLine("| shape | notify stream | changes | seconds | changes/s | process CPU s | changes per CPU s | events | events/s | events received | stream kept up |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        int run = 0;
        foreach (var shape in new[] { LoadShape.Churn, LoadShape.Unpack })
        {
            foreach (var watch in new[] { false, true })
            {
                var path = string.Create(CultureInfo.InvariantCulture, $"/bench load {++run}/");
                // Make the load's directory (and the churn's scratch area, and its picture of the tree) before timing.
                server.Load.Start(new LoadOptions { Shape = LoadShape.Churn, Path = path, Changes = 1, Seed = run });
                await server.Load.WaitAsync(cancellationToken);

                using var process = Process.GetCurrentProcess();
                var cpuBefore = process.TotalProcessorTime;
                var (status, received, keptUp) = await BurstAsync(server, new LoadOptions { Shape = shape, Path = path, Changes = changes, Rate = rate, Seed = run }, watch, cancellationToken);
                if (status.Error is not null)
                {
                    Console.Error.WriteLine($"load failed: {status.Error}");
                    return 1;
                }

                process.Refresh();
                var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
                var seconds = status.Elapsed.TotalSeconds;
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {shape.ToString().ToLowerInvariant()} | {(watch ? "yes" : "no")} | {status.Changes:N0} | {seconds:F2} | {status.ChangesPerSecond:N0} | {cpu:F2} | {status.Changes / cpu:N0} | {status.Events:N0} | {status.Events / seconds:N0} | {(watch ? received.ToString("N0", CultureInfo.InvariantCulture) : "-")} | {(watch ? (keptUp ? "yes" : "no, watch dropped") : "-")} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Peak RSS: {CrawlBenchmark.PeakRssMb():N0} MB"));
        return 0;
    }

    private static async Task<(LoadStatus Status, long Received, bool KeptUp)> BurstAsync(SimulatorServer server, LoadOptions options, bool watch, CancellationToken cancellationToken)
    {
        if (!watch)
        {
            server.Load.Start(options);
            return (await server.Load.WaitAsync(cancellationToken), 0, true);
        }

        using var client = new QumuloClient(CrawlBenchmark.Connection(server));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var registered = new TaskCompletionSource();
        long received = 0;
        long expected = long.MaxValue;
        var reader = Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var batch in client.NotifyAsync("/", recursive: true, null, _ => registered.TrySetResult(), stop.Token))
                    {
                        if (Interlocked.Add(ref received, batch.Count) >= Interlocked.Read(ref expected))
                        {
                            return true;
                        }
                    }

                    return false; // the stream ended: the simulator dropped the watch
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
                {
                    return false;
                }
            },
            CancellationToken.None);
        await registered.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        var eventsBefore = server.Cluster.EventsEmitted;
        server.Load.Start(options);
        var status = await server.Load.WaitAsync(cancellationToken);

        // The watch is on the root and the load changes nothing about the root itself (its directory and
        // scratch area exist already), so every event the load produced is deliverable to it.
        long deliverable = server.Cluster.EventsEmitted - eventsBefore;
        Interlocked.Exchange(ref expected, deliverable);
        if (Interlocked.Read(ref received) >= deliverable)
        {
            await stop.CancelAsync();
        }

        var drained = Stopwatch.StartNew();
        var keptUp = await reader.WaitAsync(TimeSpan.FromSeconds(120), cancellationToken);
        await stop.CancelAsync();
        Console.Error.WriteLine($"  {options.Shape}: received {Interlocked.Read(ref received):N0} of {deliverable:N0} events, the last {drained.Elapsed.TotalSeconds:F2} s after the load ended");
        return (status, Interlocked.Read(ref received), keptUp || Interlocked.Read(ref received) >= deliverable);
    }
}
