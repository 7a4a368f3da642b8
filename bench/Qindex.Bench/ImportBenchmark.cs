using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using Qindex.Index.Import;
using Qindex.Index.Query;
using Qindex.Index.Store;

namespace Qindex.Bench;

/// <summary>
/// Import throughput of a users'-schema Parquet dataset into the index, side by side with DuckDB's
/// own plain Parquet-to-Parquet copy of the same files in the same run (issue 8 target: the import
/// at least 0.9 times the copy's speed).
/// </summary>
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

        var files = ImportSources.Expand([dataset]);
        var copyDefault = await DuckDbCopyAsync(files, Path.Combine(root, "copy-default"), preserveOrder: true, cancellationToken);

        using var peak = new PeakMemory();
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(indexDir), cancellationToken);
        var result = await IndexImporter.ImportAsync(files, store, null, cancellationToken);
        var peakBytes = await peak.StopAsync();
        var status = await store.GetStatusAsync(cancellationToken);

        var copyUnordered = await DuckDbCopyAsync(files, Path.Combine(root, "copy-unordered"), preserveOrder: false, cancellationToken);
        var copyTwo = await DuckDbCopyAsync(files, Path.Combine(root, "copy-two"), preserveOrder: false, cancellationToken, atOnce: 2);
        var best = Math.Min(Math.Min(copyDefault.TotalSeconds, copyUnordered.TotalSeconds), copyTwo.TotalSeconds);

        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- import --rows {rows}`");
        Console.WriteLine();
        Console.WriteLine("| rows | input files | input MB | seconds | MB/s | rows/s | bad lines | data files written | peak working set MB |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {result.RowsImported:N0} | {result.FilesRead} | {inputBytes / 1e6:F0} | {result.Elapsed.TotalSeconds:F1} | {result.MegabytesPerSecond:F1} | {result.RowsImported / result.Elapsed.TotalSeconds:N0} | {result.BadLines} | {status.DataFiles} | {peakBytes / 1e6:F0} |"));
        Console.WriteLine();
        Console.WriteLine("| same input, same run | seconds | MB/s | import speed / this |");
        Console.WriteLine("|---|---:|---:|---:|");
        string Row(string what, TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"| {what} | {t.TotalSeconds:F1} | {inputBytes / 1e6 / t.TotalSeconds:F1} | {t.TotalSeconds / result.Elapsed.TotalSeconds:F2} |");
        Console.WriteLine(Row("DuckDB COPY read_parquet -> parquet zstd, defaults (before the import)", copyDefault));
        Console.WriteLine(Row("DuckDB COPY read_parquet -> parquet zstd, preserve_insertion_order=false (after)", copyUnordered));
        Console.WriteLine(Row("DuckDB COPY as above, two files at a time like the import (after)", copyTwo));
        Console.WriteLine(Row("qindex import (commit included)", result.Elapsed));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Import speed / fastest DuckDB copy: {best / result.Elapsed.TotalSeconds:F2} (target >= 0.9). Dataset generation (not measured above): {generate.Elapsed.TotalSeconds:F0} s (0 when cached). Machine: {Environment.ProcessorCount} cores."));
        return 0;
    }

    /// <summary>DuckDB's own copy of every file, one output file per input, as the baseline.</summary>
    private static async Task<TimeSpan> DuckDbCopyAsync(IReadOnlyList<ImportFile> files, string outDir, bool preserveOrder, CancellationToken cancellationToken, int atOnce = 1)
    {
        if (Directory.Exists(outDir))
        {
            Directory.Delete(outDir, recursive: true);
        }

        Directory.CreateDirectory(outDir);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = atOnce, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            await using var connection = new DuckDBConnection("DataSource=:memory:");
            await connection.OpenAsync(ct);
            await using (var setting = connection.CreateCommand())
            {
                setting.CommandText = $"SET preserve_insertion_order = {(preserveOrder ? "true" : "false")}";
                await setting.ExecuteNonQueryAsync(ct);
            }

            await using var copy = connection.CreateCommand();
            var target = Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"{i:D5}.parquet"));
            copy.CommandText = $"COPY (SELECT * FROM read_parquet({QueryEngine.Literal(files[i].Path)})) TO {QueryEngine.Literal(target)} (FORMAT parquet, COMPRESSION zstd)";
            await copy.ExecuteNonQueryAsync(ct);
        });
        clock.Stop();
        Directory.Delete(outDir, recursive: true);
        return clock.Elapsed;
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
