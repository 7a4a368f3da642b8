using System.Diagnostics;
using System.Globalization;
using Qindex.Index.Import;
using Qindex.Index.Store;

namespace Qindex.Bench;

/// <summary>Import throughput of a users'-schema Parquet dataset into the index (target: 100 MB/s or more).</summary>
internal sealed class ImportBenchmark : IBenchmark
{
    public string Name => "import";

    public string Description => "qindex import of a generated users'-schema Parquet dataset: MB/s and rows/s (--rows N, default 16000000, about 1 GB)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = long.Parse(ImportDataset.Arg(args, "--rows", "16000000"), CultureInfo.InvariantCulture);
        var root = ImportDataset.Arg(args, "--dir", ImportDataset.DefaultRoot);
        var generate = Stopwatch.StartNew();
        var dataset = await ImportDataset.EnsureAsync(rows, root, cancellationToken);
        generate.Stop();
        var inputBytes = ImportDataset.SizeOf(dataset);

        var indexDir = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"index-import-{rows}"));
        if (Directory.Exists(indexDir))
        {
            Directory.Delete(indexDir, recursive: true);
        }

        using var peak = new PeakMemory();
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(indexDir), cancellationToken);
        var result = await IndexImporter.ImportAsync(ImportSources.Expand([dataset]), store, null, cancellationToken);
        var peakBytes = await peak.StopAsync();
        var status = await store.GetStatusAsync(cancellationToken);

        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- import --rows {rows}`");
        Console.WriteLine();
        Console.WriteLine("| rows | input files | input MB | seconds | MB/s | rows/s | bad lines | data files written | peak working set MB |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {result.RowsImported:N0} | {result.FilesRead} | {inputBytes / 1e6:F0} | {result.Elapsed.TotalSeconds:F1} | {result.MegabytesPerSecond:F1} | {result.RowsImported / result.Elapsed.TotalSeconds:N0} | {result.BadLines} | {status.DataFiles} | {peakBytes / 1e6:F0} |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Target: >= 100 MB/s. Dataset generation (not measured above): {generate.Elapsed.TotalSeconds:F0} s (0 when cached). Machine: {Environment.ProcessorCount} cores."));
        return 0;
    }
}

/// <summary>Samples the process working set until stopped; peak memory is part of what the benchmarks report.</summary>
internal sealed class PeakMemory : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _peak;

    public PeakMemory()
    {
        _sampler = Task.Run(async () =>
        {
            using var process = Process.GetCurrentProcess();
            while (!_stop.IsCancellationRequested)
            {
                process.Refresh();
                _peak = Math.Max(_peak, process.WorkingSet64);
                try
                {
                    await Task.Delay(200, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
    }

    public async Task<long> StopAsync()
    {
        await _stop.CancelAsync();
        await _sampler;
        return _peak;
    }

    public void Dispose() => _stop.Dispose();
}
