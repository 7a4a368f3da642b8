using System.Diagnostics;
using System.Globalization;
using Qindex.Index.Import;
using Qindex.Index.Query;
using Qindex.Index.Store;

namespace Qindex.Bench;

/// <summary>Query time over the index at a stated size (target: 2 s or less per query at 10M rows).</summary>
internal sealed class QueryBenchmark : IBenchmark
{
    private static readonly (string Name, string Sql)[] Queries =
    [
        ("count and total size", "SELECT count(*), sum(size) FROM files"),
        ("size by top-level directory", "SELECT split_part(path, '/', 2) AS top, count(*) AS n, sum(size) AS bytes FROM files GROUP BY top ORDER BY bytes DESC"),
        ("largest 20 files of one owner", "SELECT path, size FROM files WHERE owner_id_value = '1007' ORDER BY size DESC LIMIT 20"),
    ];

    public string Name => "query";

    public string Description => "qindex query times at a stated index size (--rows N, default 10000000; builds the index by import first)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rows = long.Parse(ImportDataset.Arg(args, "--rows", "10000000"), CultureInfo.InvariantCulture);
        var root = ImportDataset.Arg(args, "--dir", ImportDataset.DefaultRoot);
        var dataset = await ImportDataset.EnsureAsync(rows, root, cancellationToken);
        var indexDir = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"index-query-{rows}"));
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(indexDir), cancellationToken);
        var status = await store.GetStatusAsync(cancellationToken);
        if (status.Rows != rows)
        {
            await IndexImporter.ImportAsync(ImportSources.Expand([dataset]), store, null, cancellationToken);
            status = await store.GetStatusAsync(cancellationToken);
        }

        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- query --rows {rows}`");
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Index: {status.Rows:N0} rows, {status.DataFiles} data files, {status.DeleteFiles} delete files, {status.DataBytes / 1e6:F0} MB. Machine: {Environment.ProcessorCount} cores."));
        Console.WriteLine();
        Console.WriteLine("| query | open view ms | first run ms | best of 3 ms | result rows |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var (name, sql) in Queries)
        {
            var open = Stopwatch.StartNew();
            await using var engine = await QueryEngine.OpenAsync(store, cancellationToken);
            open.Stop();
            var times = new List<double>();
            var resultRows = 0;
            for (var i = 0; i < 3; i++)
            {
                var sw = Stopwatch.StartNew();
                var result = await engine.QueryAsync(sql, cancellationToken);
                times.Add(sw.Elapsed.TotalMilliseconds);
                resultRows = result.Rows.Count;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name}: `{sql}` | {open.Elapsed.TotalMilliseconds:F0} | {times[0]:F0} | {times.Min():F0} | {resultRows} |"));
        }

        Console.WriteLine();
        Console.WriteLine("Target: <= 2000 ms per query at 10M rows (open view + first run is what `qindex query` pays).");
        return 0;
    }
}
