using Qindex.Qumulo;
using Qindex.Simulator.Churn;

namespace Qindex.Simulator.Tests.Churn;

/// <summary>The churn workload over a real socket: it changes the tree in every way it claims, and a seed fixes what it does.</summary>
public sealed class ChurnWorkloadTests
{
    private static readonly string[] MainKinds =
    [
        "create_file", "create_dir", "create_symlink", "create_link", "write", "replace", "set_attributes", "rename_file",
        "move_file", "rename_dir", "move_dir", "delete_file", "move_out", "move_in", "stream_create", "stream_write",
    ];

    [Fact]
    public async Task A_few_hundred_steps_change_the_tree_with_every_main_kind_of_step()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 3000, Seed = 3 });
        using var client = new QumuloClient(Connection(server));
        var path = await FirstDirectoryAsync(client);
        var before = await TreeAsync(client);

        var result = await new ChurnWorkload(client, new ChurnOptions { Path = path, Ops = 600, Seed = 5 }).RunAsync(CancellationToken.None);

        Assert.Equal(600, result.Total);
        Assert.Equal(ChurnWorkload.Kinds.Order(StringComparer.Ordinal), result.Counts.Keys.Order(StringComparer.Ordinal));
        foreach (var kind in MainKinds)
        {
            Assert.True(result.Counts[kind] > 0, $"no {kind} step in {string.Join(", ", result.Counts)}");
        }

        Assert.True(result.Counts["rename_clobber"] + result.Counts["delete_tree"] + result.Counts["stream_delete"] > 0);
        var after = await TreeAsync(client);
        Assert.NotEqual(before, after);
        var scratch = ChurnWorkload.ScratchPath(path);
        Assert.Contains(after, line => line.StartsWith(scratch, StringComparison.Ordinal) && line.Length > scratch.Length + 1);
        Assert.Contains(after, line => line.Contains('\n', StringComparison.Ordinal) || line.Contains('"', StringComparison.Ordinal) || line.Contains('%', StringComparison.Ordinal));

        // Nothing outside the churned directory and its scratch area was created, removed or moved. (Link
        // counts and sizes may change there: a hard link can name a file from both sides.)
        static List<string> Outside(List<string> tree, string path, string scratch) => tree
            .Where(l => !l.StartsWith(path, StringComparison.Ordinal) && !l.StartsWith(scratch, StringComparison.Ordinal) && !l.StartsWith("/\t", StringComparison.Ordinal))
            .Select(l => string.Join('\t', l.Split('\t').Take(3)))
            .ToList();
        Assert.Equal(Outside(before, path, scratch), Outside(after, path, scratch));
    }

    [Fact]
    public async Task The_same_seed_on_the_same_tree_gives_the_same_result_and_another_seed_does_not()
    {
        var first = await RunFreshAsync(seed: 11);
        var second = await RunFreshAsync(seed: 11);
        var other = await RunFreshAsync(seed: 12);

        Assert.Equal(first.Counts, second.Counts);
        Assert.Equal(first.Tree, second.Tree);
        Assert.NotEqual(first.Tree, other.Tree);
    }

    [Fact]
    public async Task A_rate_limit_spaces_the_steps_out()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1 });
        server.Cluster.CreateDirectory("/", "data");
        using var client = new QumuloClient(Connection(server));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await new ChurnWorkload(client, new ChurnOptions { Path = "/data", Ops = 21, Rate = 40 }).RunAsync(CancellationToken.None);
        Assert.Equal(21, result.Total);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.45), $"21 steps at 40 per second took {clock.Elapsed}");
    }

    [Fact]
    public async Task Churn_rides_out_unavailable_answers()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 500, Seed = 2 });
        using var client = new QumuloClient(Connection(server) with { MaxAttempts = 40, InitialBackoff = TimeSpan.FromMilliseconds(1) });
        var path = await FirstDirectoryAsync(client);
        await FaultAsync(server, "errors", """{"status": 503, "fraction": 0.3, "seconds": 60}""");
        var result = await new ChurnWorkload(client, new ChurnOptions { Path = path, Ops = 150, Seed = 3 }).RunAsync(CancellationToken.None);
        Assert.Equal(150, result.Total);
        Assert.True(client.RetryCount > 0, "three in ten calls were refused, so some must have been retried");
    }

    [Fact]
    public async Task The_root_cannot_be_churned()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1 });
        using var client = new QumuloClient(Connection(server));
        Assert.Throws<ArgumentException>(() => new ChurnWorkload(client, new ChurnOptions { Path = "/" }));
        Assert.Throws<ArgumentException>(() => new ChurnWorkload(client, new ChurnOptions { Path = "relative" }));
    }

    private static async Task<(IReadOnlyDictionary<string, long> Counts, List<string> Tree)> RunFreshAsync(int seed)
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 2000, Seed = 4 });
        using var client = new QumuloClient(Connection(server));
        var path = await FirstDirectoryAsync(client);
        var result = await new ChurnWorkload(client, new ChurnOptions { Path = path, Ops = 300, Seed = seed }).RunAsync(CancellationToken.None);
        return (result.Counts, await TreeAsync(client, withStreams: true));
    }

    private static async Task FaultAsync(SimulatorServer server, string kind, string body)
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate.RawData)) == server.CertificateSha256,
        };
        using var http = new HttpClient(handler) { BaseAddress = server.BaseAddress };
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"__sim/faults/{kind}", content);
        response.EnsureSuccessStatusCode();
    }

    private static QumuloConnection Connection(SimulatorServer server) => new()
    {
        Host = server.BaseAddress.Host,
        Port = server.BaseAddress.Port,
        User = "admin",
        Password = "admin",
        PinSha256 = server.CertificateSha256,
    };

    private static async Task<string> FirstDirectoryAsync(QumuloClient client)
    {
        await foreach (var entry in client.ListEntriesAsync("/", null, 1000, CancellationToken.None))
        {
            if (entry.GetProperty("type").GetString() == "FS_FILE_TYPE_DIRECTORY")
            {
                return entry.GetProperty("path").GetString()!;
            }
        }

        throw new InvalidOperationException("the generated tree has no directory");
    }

    /// <summary>
    /// The whole tree, one line per entry, sorted: path, type, id, size, mode, owner, group, links,
    /// extended attributes, data revision (and named streams). Times are left out: the server's
    /// clock is real, so two runs never share them, except the ones the workload set itself.
    /// </summary>
    private static async Task<List<string>> TreeAsync(QumuloClient client, bool withStreams = false)
    {
        var lines = new List<string>();
        var queue = new Queue<string>(["/"]);
        while (queue.Count > 0)
        {
            var directory = queue.Dequeue();
            await foreach (var e in client.ListEntriesAsync(directory, null, 1000, CancellationToken.None))
            {
                var path = e.GetProperty("path").GetString()!;
                var type = e.GetProperty("type").GetString()!;
                var line = string.Join(
                    '\t',
                    path,
                    type,
                    e.GetProperty("id").GetString(),
                    e.GetProperty("size").GetString(),
                    e.GetProperty("mode").GetString(),
                    e.GetProperty("owner").GetString(),
                    e.GetProperty("group").GetString(),
                    e.GetProperty("num_links").GetInt32(),
                    e.GetProperty("extended_attributes").GetRawText(),
                    e.GetProperty("data_revision").GetString());
                if (type == "FS_FILE_TYPE_DIRECTORY")
                {
                    queue.Enqueue(path);
                }
                else if (withStreams && type == "FS_FILE_TYPE_FILE")
                {
                    var streams = await client.ListStreamsAsync(e.GetProperty("id").GetString()!, CancellationToken.None);
                    line += "\t" + string.Join('|', streams.Select(s => $"{s.Id}:{s.Name}:{s.Size}"));
                }

                lines.Add(line);
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }
}
