using System.CommandLine;
using Qindex.Index.Crawl;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Qindex.Simulator;
using Spectre.Console;

namespace Qindex.Cli.Commands;

/// <summary>
/// <c>qindex demo</c>: starts the built-in simulator, crawls it from a snapshot into an Iceberg
/// index, and answers a few questions with SQL. Needs no cluster and no arguments.
/// </summary>
internal sealed class DemoCommand : ICliCommand
{
    public Command Build()
    {
        var objects = new Option<long>("--objects") { Description = "Size of the simulated tree.", DefaultValueFactory = _ => 20_000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated tree.", DefaultValueFactory = _ => 42 };
        var indexDir = new Option<string?>("--index") { Description = "Keep the index here (default: a temporary directory, removed at the end)." };
        var command = new Command("demo", "Serve a simulated cluster, crawl it into an index, and query it.\n\nExample:\n  qindex demo --objects 50000");
        command.Options.Add(objects);
        command.Options.Add(seed);
        command.Options.Add(indexDir);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var keep = parse.GetValue(indexDir);
            var dir = keep ?? Directory.CreateTempSubdirectory("qindex-demo-").FullName;
            try
            {
                await RunAsync(parse.GetValue(objects), parse.GetValue(seed), dir, cancellationToken);
                if (keep is not null)
                {
                    Console.WriteLine($"\nThe index is in {dir}. Try: qindex query --index {dir} \"SELECT type, count(*) FROM files GROUP BY type\"");
                }

                return 0;
            }
            finally
            {
                if (keep is null)
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        });
        return command;
    }

    private static async Task RunAsync(long objects, int seed, string indexDir, CancellationToken cancellationToken)
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = objects, Seed = seed }, cancellationToken);
        Console.WriteLine($"1. Simulated Qumulo cluster at {server.BaseAddress} ({objects:N0} objects, seed {seed})");
        Console.WriteLine($"   certificate SHA-256 {server.CertificateSha256}");

        var connection = new QumuloConnection
        {
            Host = server.BaseAddress.Host,
            Port = server.BaseAddress.Port,
            User = "admin",
            Password = "admin",
            PinSha256 = server.CertificateSha256,
        };
        using var client = new QumuloClient(connection);
        var version = await client.VersionAsync(cancellationToken);
        Console.WriteLine($"2. Client logged in over HTTPS with the certificate pinned; cluster version answer: {version.GetRawText()}");

        Console.WriteLine("3. Crawling / from a snapshot into the index");
        await using (var store = await IndexStoreFactory.OpenAsync(new IndexLocation(indexDir), cancellationToken))
        {
            var result = await CrawlCommand.RunWithProgressAsync(
                new Crawler(client), new CrawlOptions { ClusterHost = server.BaseAddress.Host, RootPath = "/" }, store, cancellationToken);
            Console.WriteLine($"   {result.Objects:N0} objects in {result.Elapsed.TotalSeconds:F1} s, baseline snapshot {result.SnapshotId}");
        }

        Console.WriteLine("4. SQL over the index (DuckDB, view 'files')");
        await using var queryStore = await IndexStoreFactory.OpenAsync(new IndexLocation(indexDir), cancellationToken);
        await using var engine = await QueryEngine.OpenAsync(queryStore, cancellationToken);
        string[] questions =
        [
            "SELECT count(*) AS objects, sum(size) AS bytes FROM files",
            "SELECT type, count(*) AS objects FROM files GROUP BY type ORDER BY objects DESC",
            "SELECT split_part(path, '/', 2) AS top_level, count(*) AS objects, sum(size) AS bytes FROM files WHERE path <> '/' GROUP BY 1 ORDER BY bytes DESC LIMIT 5",
            "SELECT path, size FROM files WHERE type = 'FS_FILE_TYPE_FILE' ORDER BY size DESC LIMIT 5",
        ];
        foreach (var sql in questions)
        {
            var rows = await engine.QueryAsync(sql, cancellationToken);
            var table = new Table().Title(Markup.Escape(sql));
            foreach (var column in rows.Columns)
            {
                table.AddColumn(Markup.Escape(column));
            }

            foreach (var row in rows.Rows)
            {
                table.AddRow(row.Select(v => Markup.Escape(QueryEngine.FormatValue(v).ReplaceLineEndings("\\n"))).ToArray());
            }

            AnsiConsole.Write(table);
        }
    }
}
