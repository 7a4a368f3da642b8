using System.CommandLine;
using System.Globalization;
using Qindex.Index.Crawl;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Spectre.Console;

namespace Qindex.Cli.Commands;

/// <summary><c>qindex crawl</c>: one consistent crawl of a cluster (or subtree) into the index.</summary>
internal sealed class CrawlCommand : ICliCommand
{
    public Command Build()
    {
        var cluster = new ClusterOptions();
        var index = new IndexOptions();
        var path = new Option<string>("--path") { Description = "Directory to crawl.", DefaultValueFactory = _ => "/" }.IsClusterPath();
        var snapshot = new Option<string>("--snapshot") { Description = "auto (take one and keep it as the baseline), none (live tree), or an existing snapshot id.", DefaultValueFactory = _ => "auto" };
        var concurrency = new Option<int>("--concurrency") { Description = "Directories listed at once.", DefaultValueFactory = _ => 8 }.InRange(1, 1024);
        var command = new Command(
            "crawl",
            "Crawl a cluster directory into the index, from a snapshot.\n\nExample:\n  qindex crawl --host 127.0.0.1 --port 8000 --ca-cert sim.pem --user admin --password admin --path / --index ./idx");
        cluster.AddTo(command);
        index.AddTo(command);
        command.Options.Add(path);
        command.Options.Add(snapshot);
        command.Options.Add(concurrency);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var (mode, id) = ParseSnapshot(parse.GetValue(snapshot)!);
                var connection = await cluster.ConnectionAsync(parse, cancellationToken);
                using var client = new QumuloClient(connection, parse.GetValue(concurrency) * 2);
                await using var creation = index.BeginCreate(parse);
                await using var store = await creation.OpenAsync(cancellationToken);
                var options = new CrawlOptions
                {
                    ClusterHost = connection.Host,
                    RootPath = parse.GetValue(path)!,
                    SnapshotMode = mode,
                    SnapshotId = id,
                    Concurrency = parse.GetValue(concurrency),
                };
                var result = await RunWithProgressAsync(new Crawler(client), options, store, cancellationToken);
                creation.Complete();
                Console.WriteLine(
                    $"crawled {result.Objects:N0} objects in {result.Directories:N0} directories in {result.Elapsed.TotalSeconds:F1} s " +
                    $"({result.Objects / Math.Max(result.Elapsed.TotalSeconds, 0.001):N0} objects/s); baseline snapshot: {result.SnapshotId?.ToString(CultureInfo.InvariantCulture) ?? "none"}; " +
                    $"retries: {client.RetryCount}");
                return 0;
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync("crawl interrupted: the index was left as it was.");
                return 130;
            }
            catch (Exception e) when (e is QumuloApiException or HttpRequestException or ArgumentException or IOException or InvalidOperationException or IndexStoreException or FormatException)
            {
                var reason = e is HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException tls }
                    ? $"the cluster's TLS certificate is not trusted ({tls.Message}); give --ca-cert FILE or --pin-sha256 HEX (or --insecure if you accept the risk)"
                    : e.Message;
                await Console.Error.WriteLineAsync($"crawl failed: {reason}\nThe index was left as it was.");
                return 1;
            }
        });
        return command;
    }

    internal static async Task<CrawlResult> RunWithProgressAsync(Crawler crawler, CrawlOptions options, IIndexStore store, CancellationToken cancellationToken)
    {
        if (Console.IsOutputRedirected)
        {
            var last = DateTime.UtcNow;
            var progress = new Progress<CrawlProgress>(p =>
            {
                if ((DateTime.UtcNow - last).TotalSeconds >= 5)
                {
                    last = DateTime.UtcNow;
                    Console.WriteLine($"{p.Objects:N0} objects, {p.ObjectsPerSecond:N0}/s, {p.DirectoriesPending:N0} directories pending");
                }
            });
            return await crawler.RunAsync(options, store, progress, cancellationToken);
        }

        CrawlResult? result = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("crawl", maxValue: 1);
                var progress = new Progress<CrawlProgress>(p =>
                {
                    task.MaxValue = Math.Max(p.EstimatedTotal ?? p.Objects + p.DirectoriesPending, p.Objects);
                    task.Value = p.Objects;
                    task.Description = $"crawl {p.Objects:N0} objects, {p.ObjectsPerSecond:N0}/s";
                });
                result = await crawler.RunAsync(options, store, progress, cancellationToken);
                task.Value = task.MaxValue;
            });
        return result!;
    }

    private static (CrawlSnapshotMode Mode, long? Id) ParseSnapshot(string value) => value switch
    {
        "auto" => (CrawlSnapshotMode.Auto, null),
        "none" => (CrawlSnapshotMode.None, null),
        _ when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) => (CrawlSnapshotMode.Existing, id),
        _ => throw new ArgumentException($"--snapshot takes auto, none or a snapshot id, not '{value}'."),
    };
}
