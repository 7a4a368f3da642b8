using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Qindex.Index.Crawl;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Bench;

/// <summary>
/// Crawls under the fault storms of issue 7 (503 and 429 storms, latency with errors, a token
/// bucket rate limit) with the client's default retry policy: each must finish, and its index
/// must equal the cluster. Under the rate limit the crawl's pace is compared with the limit.
/// </summary>
internal sealed class CrawlFaultsBenchmark : IBenchmark
{
    public string Name => "crawl-faults";

    public string Description => "crawls under 503/429 storms, latency + errors and a rate limit, default retry policy (--objects N, --rps N, --scenarios none,503,latency,429,rate-limit)";

    private static readonly (string Name, string Description, (string Kind, object Body)[] Faults)[] Scenarios =
    [
        ("none", "no fault (control)", []),
        ("503-30pct-30s", "503 for 30% of requests for 30 s", [("errors", new { status = 503, fraction = 0.3, seconds = 30 })]),
        ("latency-200ms-503-60pct-40s", "200 ms latency and 503 for 60% for 40 s", [("latency", new { ms = 200, seconds = 40 }), ("errors", new { status = 503, fraction = 0.6, seconds = 40 })]),
        ("429-30pct-40s", "429 (Retry-After: 1) for 30% for 40 s", [("errors", new { status = 429, fraction = 0.3, seconds = 40 })]),
    ];

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var objects = long.Parse(ImportDataset.Arg(args, "--objects", "20000"), CultureInfo.InvariantCulture);
        var rps = double.Parse(ImportDataset.Arg(args, "--rps", "100"), CultureInfo.InvariantCulture);
        var chosen = ImportDataset.Arg(args, "--scenarios", "all");
        Console.WriteLine($"Command: `dotnet run -c Release --project bench/Qindex.Bench -- crawl-faults {string.Join(' ', args)}`");
        Console.WriteLine();
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores; simulator in the same process over HTTPS on loopback; {objects:N0} objects; crawl concurrency 8; default retry policy (budget 120 s, backoff 0.2 s to 10 s with jitter).");
        Console.WriteLine();
        Console.WriteLine("| fault | crawl s | objects | requests | retries | requests/s served | index equals cluster |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        var all = Scenarios.Append(($"rate-limit-{rps:F0}rps", $"token bucket of {rps:F0} requests/s", [("rate-limit", (object)new { rps, seconds = 600 })]));
        foreach (var (name, description, faults) in all)
        {
            if (chosen != "all" && !chosen.Split(',').Any(c => name.StartsWith(c, StringComparison.Ordinal)))
            {
                continue;
            }

            await RunScenarioAsync(objects, description, faults, cancellationToken);
        }

        return 0;
    }

    private static async Task RunScenarioAsync(long objects, string description, (string Kind, object Body)[] faults, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("qindex-bench-faults-").FullName;
        try
        {
            await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = objects, Seed = 1 }, cancellationToken);
            using var client = new QumuloClient(CrawlBenchmark.Connection(server), 16);
            await client.WhoAmIAsync(cancellationToken);
            foreach (var (kind, body) in faults)
            {
                await InjectAsync(server, kind, body, cancellationToken);
            }

            var sw = Stopwatch.StartNew();
            string outcome;
            CrawlResult? result = null;
            await using (var store = await IndexStoreFactory.OpenAsync(new IndexLocation(dir), cancellationToken))
            {
                try
                {
                    result = await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "sim", RootPath = "/", Concurrency = 8 }, store, null, cancellationToken);
                    outcome = await EqualsClusterAsync(server, store, cancellationToken) ? "yes" : "NO";
                }
                catch (QumuloApiException e)
                {
                    outcome = "crawl failed: " + e.Message;
                }
            }

            var seconds = sw.Elapsed.TotalSeconds;
            await InjectAsync(server, "clear", new { }, cancellationToken);
            var served = client.RequestCount - client.RetryCount;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {description} | {seconds:F1} | {result?.Objects ?? 0:N0} | {client.RequestCount:N0} | {client.RetryCount:N0} | {served / seconds:F0} | {outcome} |"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<bool> EqualsClusterAsync(SimulatorServer server, IIndexStore store, CancellationToken cancellationToken)
    {
        var expected = new HashSet<string>(StringComparer.Ordinal) { "/" };
        var queue = new Queue<string>(["/"]);
        while (queue.Count > 0)
        {
            foreach (var entry in server.Cluster.EnumerateEntries(queue.Dequeue(), null))
            {
                expected.Add(entry.Path);
                if (entry.Path.EndsWith('/'))
                {
                    queue.Enqueue(entry.Path);
                }
            }
        }

        await using var engine = await QueryEngine.OpenAsync(store, cancellationToken);
        var rows = (await engine.QueryAsync("SELECT path FROM files", cancellationToken)).Rows;
        return rows.Count == expected.Count && rows.All(r => expected.Contains((string)r[0]!));
    }

    private static async Task InjectAsync(SimulatorServer server, string kind, object body, CancellationToken cancellationToken)
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)) == server.CertificateSha256,
        };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress };
        using var response = await http.PostAsJsonAsync($"__sim/faults/{kind}", body, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
