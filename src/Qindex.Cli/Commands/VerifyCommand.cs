using System.CommandLine;
using System.Globalization;
using Qindex.Index.Verify;
using Qindex.Qumulo;

namespace Qindex.Cli.Commands;

/// <summary>
/// <c>qindex verify</c>: proves the index equals the cluster, row for row. Exit codes: 0 equal,
/// 1 different, 2 usage error, 3 the comparison could not be made, 130 interrupted.
/// </summary>
internal sealed class VerifyCommand : ICliCommand
{
    /// <summary>The index and the cluster differ.</summary>
    public const int Different = 1;

    /// <summary>The comparison could not be made (cluster unreachable, no index, ...): kept apart from "different".</summary>
    public const int CouldNotVerify = 3;

    public Command Build()
    {
        var cluster = new ClusterOptions();
        var index = new IndexOptions();
        var path = new Option<string>("--path") { Description = "Directory to compare: the cluster's tree under it against the index rows under it.", DefaultValueFactory = _ => "/" }.IsClusterPath();
        var snapshot = new Option<string>("--snapshot") { Description = "auto (walk a fresh snapshot when allowed, deleted afterwards) or none (walk the live tree).", DefaultValueFactory = _ => "auto" };
        snapshot.AcceptOnlyFromAmong("auto", "none");
        var ignoreAtime = new Option<bool>("--ignore-atime") { Description = "Leave access_time out of the comparison." };
        var examples = new Option<int>("--examples") { Description = "Paths shown for each kind of difference.", DefaultValueFactory = _ => 5 }.InRange(0, 10_000);
        var concurrency = new Option<int>("--concurrency") { Description = "Directories listed at once.", DefaultValueFactory = _ => 8 }.InRange(1, 1024);
        var command = new Command(
            "verify",
            "Compare the index with a fresh walk of the cluster, row for row (ingest_ts aside). Prints rows missing from the index, extra rows and differing rows with their columns.\n"
            + "Exit codes: 0 equal, 1 different, 2 usage error, 3 could not compare, 130 interrupted.\n\nExample:\n"
            + "  qindex verify --host 127.0.0.1 --port 8000 --ca-cert sim.pem --user admin --password admin --path / --index ./idx");
        cluster.AddTo(command);
        index.AddTo(command);
        foreach (var option in new Option[] { path, snapshot, ignoreAtime, examples, concurrency })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var connection = await cluster.ConnectionAsync(parse, cancellationToken);
                using var client = new QumuloClient(connection, parse.GetValue(concurrency) * 2);
                await using var store = await index.OpenExistingAsync(parse, cancellationToken);
                var options = new VerifyOptions
                {
                    ClusterHost = connection.Host,
                    RootPath = parse.GetValue(path)!,
                    UseSnapshot = parse.GetValue(snapshot) == "auto",
                    IgnoreAccessTime = parse.GetValue(ignoreAtime),
                    ExamplesPerKind = parse.GetValue(examples),
                    Concurrency = parse.GetValue(concurrency),
                };
                // The walk can take minutes on a large tree: a line on standard error every few seconds says it is alive.
                var last = DateTime.UtcNow;
                var progress = new Progress<Index.Crawl.CrawlProgress>(p =>
                {
                    if ((DateTime.UtcNow - last).TotalSeconds >= 5)
                    {
                        last = DateTime.UtcNow;
                        Console.Error.WriteLine($"walked {p.Objects:N0} objects, {p.ObjectsPerSecond:N0}/s, {p.DirectoriesPending:N0} directories pending");
                    }
                });
                var report = await new IndexVerifier(client).RunAsync(options, store, progress, cancellationToken);
                Print(report, options, parse.GetValue(index.Index)!);
                return report.Equal ? 0 : Different;
            }
            catch (Exception e)
            {
                var code = ErrorReport.Write(e, Console.Error, Path.GetTempPath(), Redaction.KnownSecrets(Environment.GetCommandLineArgs()));
                return code == 1 ? CouldNotVerify : code;
            }
        });
        return command;
    }

    private static void Print(VerifyReport report, VerifyOptions options, string indexDirectory)
    {
        var from = report.SnapshotId is { } id ? $"snapshot {id.ToString(CultureInfo.InvariantCulture)} (deleted)" : "the live tree";
        Console.WriteLine($"compared {options.RootPath} on {options.ClusterHost} ({from}) with the index at {indexDirectory}");
        Console.WriteLine($"rows: cluster {report.ClusterRows:N0}, index {report.IndexRows:N0}; compared columns: all but {(options.IgnoreAccessTime ? "ingest_ts and access_time" : "ingest_ts")}");
        Console.WriteLine($"missing from the index: {report.Missing:N0}");
        foreach (var p in report.MissingExamples)
        {
            Console.WriteLine($"  {Show(p)}");
        }

        Console.WriteLine($"extra in the index: {report.Extra:N0}");
        foreach (var p in report.ExtraExamples)
        {
            Console.WriteLine($"  {Show(p)}");
        }

        var columns = string.Join(", ", report.DifferentColumns.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value:N0}"));
        Console.WriteLine($"different: {report.Different:N0}{(report.Different > 0 ? $" (columns: {columns})" : string.Empty)}");
        foreach (var row in report.DifferentExamples)
        {
            Console.WriteLine($"  {Show(row.Path)}: " + string.Join("; ", row.Columns.Select(c => $"{c.Column} index={Show(c.IndexValue)} cluster={Show(c.ClusterValue)}")));
        }

        Console.WriteLine(report.Equal ? "the index equals the cluster" : "the index differs from the cluster");
    }

    /// <summary>One line per example even for names holding newlines or tabs: those are shown escaped.</summary>
    private static string Show(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
}
