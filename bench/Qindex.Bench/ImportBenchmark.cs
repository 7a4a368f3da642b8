using System.Diagnostics;
using System.Globalization;
using System.Text;
using Apache.Arrow;
using DuckDB.NET.Data;
using ParquetSharp;
using ParquetSharp.Arrow;
using Qindex.Index.Import;
using Qindex.Index.Query;
using Qindex.Index.Records;
using Qindex.Index.Store;

namespace Qindex.Bench;

/// <summary>
/// Import throughput of a users'-schema Parquet dataset into the index, side by side with DuckDB's
/// own plain Parquet-to-Parquet copy of the same files in the same run (issue 8 target: the import
/// at least 0.9 times the copy's speed). With <c>--variants</c> it also times the other ways of
/// writing the imported files that docs/decisions/0004 weighed, each over the same files in the
/// same run; <c>--runs N</c> repeats the whole sequence, interleaved, since the machine is shared.
/// </summary>
internal sealed class ImportBenchmark : IBenchmark
{
    public string Name => "import";

    public string Description => "qindex import of a generated users'-schema Parquet dataset beside DuckDB's copy (--rows N, default 16000000, about 1 GB; --rows-per-file N, default 250000; --runs N; --variants)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = long.Parse(ImportDataset.Arg(args, "--rows", "16000000"), CultureInfo.InvariantCulture);
        var runs = int.Parse(ImportDataset.Arg(args, "--runs", "1"), CultureInfo.InvariantCulture);
        var rowsPerFile = long.Parse(ImportDataset.Arg(args, "--rows-per-file", ImportDataset.RowsPerFile.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var variants = args.Contains("--variants");
        var root = ImportDataset.Arg(args, "--dir", ImportDataset.DefaultRoot);
        var generate = Stopwatch.StartNew();
        var dataset = await ImportDataset.EnsureAsync(rows, root, cancellationToken, rowsPerFile);
        generate.Stop();
        var inputBytes = ImportDataset.SizeOf(dataset);
        var files = ImportSources.Expand([dataset]);

        var names = new List<string>();
        var times = new Dictionary<string, List<TimeSpan>>();
        var sizes = new Dictionary<string, long>();
        var required = new Dictionary<string, string>();
        void Record(string what, TimeSpan t, string dir)
        {
            if (!times.TryGetValue(what, out var list))
            {
                names.Add(what);
                times[what] = list = [];
            }

            list.Add(t);
            var written = Directory.EnumerateFiles(dir, "*.parquet", SearchOption.AllDirectories).ToList();
            sizes[what] = written.Sum(f => new FileInfo(f).Length);
            required[what] = PathRepetition(written[0]);
            Directory.Delete(dir, recursive: true);
        }

        const string Default = "DuckDB COPY read_parquet -> parquet zstd, defaults";
        const string Unordered = "DuckDB COPY as above, preserve_insertion_order=false";
        const string Two = "DuckDB COPY as above, two files at a time";
        const string Import = "qindex import (ParquetSharp column copy, commit included)";
        const string OldImport = "variant: DuckDB COPY with the import's mapping (the import before), two at a time";
        const string Arrow = "variant: DuckDB query -> Arrow batches -> ParquetSharp Arrow writer, two at a time";
        ImportResult? result = null;
        long peakBytes = 0;
        var dataFiles = 0;
        for (var run = 0; run < runs; run++)
        {
            Record(Default, await DuckDbCopyAsync(files, Out(root, "copy-default"), preserveOrder: true, cancellationToken), Out(root, "copy-default"));

            // A fresh directory each run: the catalog's pooled SQLite connection outlives a deleted file.
            var indexDir = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"index-import-{rows}-{run}"));
            if (Directory.Exists(indexDir))
            {
                Directory.Delete(indexDir, recursive: true);
            }

            using (var peak = new PeakMemory())
            {
                await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(indexDir), cancellationToken);
                result = await IndexImporter.ImportAsync(files, store, null, cancellationToken);
                peakBytes = Math.Max(peakBytes, await peak.StopAsync());
                dataFiles = (await store.GetStatusAsync(cancellationToken)).DataFiles;
            }

            Record(Import, result.Elapsed, indexDir);
            Record(Unordered, await DuckDbCopyAsync(files, Out(root, "copy-unordered"), preserveOrder: false, cancellationToken), Out(root, "copy-unordered"));
            Record(Two, await DuckDbCopyAsync(files, Out(root, "copy-two"), preserveOrder: false, cancellationToken, atOnce: 2), Out(root, "copy-two"));
            if (variants)
            {
                Record(OldImport, await EachFileAsync(files, Out(root, "old-import"), DuckDbMappedCopyAsync, cancellationToken), Out(root, "old-import"));
                Record(Arrow, await EachFileAsync(files, Out(root, "arrow"), ArrowCopyAsync, cancellationToken), Out(root, "arrow"));
            }
        }

        var command = $"dotnet run -c Release --project bench/Qindex.Bench -- import --rows {rows}" + (rowsPerFile != ImportDataset.RowsPerFile ? $" --rows-per-file {rowsPerFile}" : "") + (runs > 1 ? $" --runs {runs}" : "") + (variants ? " --variants" : "");
        Console.WriteLine($"Command: `{command}`");
        Console.WriteLine();
        Console.WriteLine("| rows | input files | input MB | seconds | MB/s | rows/s | bad lines | data files written | peak working set MB |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {result!.RowsImported:N0} | {result.FilesRead} | {inputBytes / 1e6:F0} | {result.Elapsed.TotalSeconds:F1} | {result.MegabytesPerSecond:F1} | {result.RowsImported / result.Elapsed.TotalSeconds:N0} | {result.BadLines} | {dataFiles} | {peakBytes / 1e6:F0} |"));
        Console.WriteLine();
        var header = string.Join(" | ", Enumerable.Range(1, runs).Select(r => $"run {r} s"));
        Console.WriteLine($"| same input, same run | {header} | median MB/s | output MB | path in the files | import speed / this (median) |");
        Console.WriteLine($"|---|{string.Concat(Enumerable.Repeat("---:|", runs))}---:|---:|---|---:|");
        double Median(string what) => times[what].Select(t => t.TotalSeconds).Order().ElementAt(times[what].Count / 2);
        foreach (var what in names)
        {
            var each = string.Join(" | ", times[what].Select(t => t.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {each} | {inputBytes / 1e6 / Median(what):F1} | {sizes[what] / 1e6:F0} | {required[what]} | {Median(what) / Median(Import):F2} |"));
        }

        Console.WriteLine();
        var perRun = Enumerable.Range(0, runs).Select(r => Math.Min(Math.Min(times[Default][r].TotalSeconds, times[Unordered][r].TotalSeconds), times[Two][r].TotalSeconds) / times[Import][r].TotalSeconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Import speed / fastest DuckDB copy of the same run: {string.Join(", ", perRun.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))} (target >= 0.9). Dataset generation (not measured above): {generate.Elapsed.TotalSeconds:F0} s (0 when cached). Machine: {Environment.ProcessorCount} cores, load average {LoadAverage()}."));
        return 0;
    }

    private static string Out(string root, string name) => Path.Combine(root, name);

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string PathRepetition(string file)
    {
        using var reader = new ParquetFileReader(file);
        var schema = reader.FileMetaData.Schema;
        for (var i = 0; i < schema.NumColumns; i++)
        {
            using var node = schema.Column(i).SchemaNode;
            if (node.Name == "path")
            {
                return node.Repetition.ToString().ToUpperInvariant();
            }
        }

        return "none";
    }

    /// <summary>DuckDB's own copy of every file, one output file per input, as the baseline.</summary>
    private static async Task<TimeSpan> DuckDbCopyAsync(IReadOnlyList<ImportFile> files, string outDir, bool preserveOrder, CancellationToken cancellationToken, int atOnce = 1)
    {
        return await EachFileAsync(files, outDir, async (source, target, ct) =>
        {
            await using var connection = await OpenDuckDbAsync(preserveOrder, ct);
            await using var copy = connection.CreateCommand();
            copy.CommandText = $"COPY (SELECT * FROM read_parquet({QueryEngine.Literal(source)})) TO {QueryEngine.Literal(target)} (FORMAT parquet, COMPRESSION zstd)";
            await copy.ExecuteNonQueryAsync(ct);
        }, cancellationToken, atOnce);
    }

    private static async Task<TimeSpan> EachFileAsync(IReadOnlyList<ImportFile> files, string outDir, Func<string, string, CancellationToken, Task> copyOne, CancellationToken cancellationToken, int atOnce = 2)
    {
        if (Directory.Exists(outDir))
        {
            Directory.Delete(outDir, recursive: true);
        }

        Directory.CreateDirectory(outDir);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = atOnce, CancellationToken = cancellationToken }, async (i, ct) =>
            await copyOne(files[i].Path, Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"{i:D5}.parquet")), ct));
        clock.Stop();
        return clock.Elapsed;
    }

    private static async Task<DuckDBConnection> OpenDuckDbAsync(bool preserveOrder, CancellationToken cancellationToken)
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync(cancellationToken);
        foreach (var setting in new[] { $"SET preserve_insertion_order = {(preserveOrder ? "true" : "false")}", "SET TimeZone = 'UTC'" })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = setting;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return connection;
    }

    /// <summary>The SELECT the import ran through DuckDB before (mapping, casts, times to microseconds).</summary>
    private static string MappedSelect(string source)
    {
        var select = new StringBuilder();
        var columns = IndexColumns.All;
        for (var c = 0; c < columns.Count; c++)
        {
            var col = columns[c];
            var name = QueryEngine.Ident(col.Name);
            var type = col.Kind switch
            {
                ColumnKind.String => "VARCHAR",
                ColumnKind.Int32 => "INTEGER",
                ColumnKind.Int64 => "BIGINT",
                ColumnKind.Boolean => "BOOLEAN",
                _ => "TIMESTAMPTZ",
            };
            var ns = $"epoch_ns({name})";
            var expr = col.Kind == ColumnKind.TimestampTz ? $"make_timestamptz(({ns} - ((({ns} % 1000) + 1000) % 1000)) // 1000)" : $"CAST({name} AS {type})";
            if (col.Name == "ingest_ts")
            {
                expr = $"COALESCE({expr}, CAST('2026-01-01 00:00:00' AS TIMESTAMP)::TIMESTAMPTZ)";
            }

            select.Append(c == 0 ? "" : ", ").Append(expr).Append(" AS ").Append(name);
        }

        return $"SELECT {select} FROM read_parquet({QueryEngine.Literal(source)}) WHERE path IS NOT NULL AND path <> ''";
    }

    private static async Task DuckDbMappedCopyAsync(string source, string target, CancellationToken cancellationToken)
    {
        await using var connection = await OpenDuckDbAsync(preserveOrder: false, cancellationToken);
        await using var copy = connection.CreateCommand();
        var fieldIds = string.Join(", ", IndexColumns.All.Select(c => $"{QueryEngine.Literal(c.Name)}: {c.FieldId.ToString(CultureInfo.InvariantCulture)}"));
        copy.CommandText = $"COPY ({MappedSelect(source)}) TO {QueryEngine.Literal(target)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {IndexDataFileWriter.RowGroupRows}, FIELD_IDS {{{fieldIds}}})";
        await copy.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>DuckDB normalizes, ParquetSharp's Arrow writer writes with path non-nullable (option b of 0004).</summary>
    private static async Task ArrowCopyAsync(string source, string target, CancellationToken cancellationToken)
    {
        await using var connection = await OpenDuckDbAsync(preserveOrder: false, cancellationToken);
        await using var query = connection.CreateCommand();
        query.CommandText = MappedSelect(source);
        using var stream = query.ExecuteArrowStream();
        var fields = stream.Schema.FieldsList.Select((f, i) => new Field(
            f.Name,
            f.DataType,
            !IndexColumns.All[i].Required,
            new Dictionary<string, string> { ["PARQUET:field_id"] = IndexColumns.All[i].FieldId.ToString(CultureInfo.InvariantCulture) }));
        var schema = new Schema(fields, null);
        using var properties = IndexDataFileWriter.Properties();
        using var arrowProperties = new ArrowWriterPropertiesBuilder().Build();
        using var writer = new ParquetSharp.Arrow.FileWriter(target, schema, properties, arrowProperties);
        while (await stream.ReadNextRecordBatchAsync(cancellationToken) is { } batch)
        {
            using (batch)
            {
                using var relabeled = new RecordBatch(schema, Enumerable.Range(0, batch.ColumnCount).Select(batch.Column), batch.Length);
                writer.WriteBufferedRecordBatch(relabeled);
            }
        }

        writer.Close();
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
