using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Qindex.Qumulo;
using Qindex.Simulator.Churn;
using Qindex.Simulator.Load;
using Qindex.Simulator.Model;
using ModelNotification = Qindex.Simulator.Model.Notification;

namespace Qindex.Simulator.Tests.Load;

/// <summary>The in-simulator load: the churn's mix applied to the model, with the REST mutations' notifications, seeded, bounded and paced.</summary>
public sealed class SimulatedLoadTests
{
    [Fact]
    public async Task The_load_applies_the_same_changes_and_notifications_as_the_same_churn_over_REST()
    {
        // Over REST: the churn workload through the client.
        await using var rest = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 2000, Seed = 4 });
        var path = FirstDirectory(rest.Cluster);
        var restEvents = new List<string>();
        long versionBefore = rest.Cluster.Version;
        using (var watch = rest.Cluster.Subscribe("/", recursive: true))
        {
            using var client = new QumuloClient(Connection(rest));
            await new ChurnWorkload(client, new ChurnOptions { Path = path, Ops = 250, Seed = 11 }).RunAsync(CancellationToken.None);
            Drain(watch, restEvents);
        }

        long restChanges = rest.Cluster.Version - versionBefore;

        // In the model: the load with the same seed, bounded by the same number of changes.
        await using var model = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 2000, Seed = 4 });
        var loadEvents = new List<string>();
        LoadStatus status;
        using (var watch = model.Cluster.Subscribe("/", recursive: true))
        {
            model.Load.Start(new LoadOptions { Path = path, Changes = restChanges, Seed = 11 });
            status = await model.Load.WaitAsync(CancellationToken.None);
            Drain(watch, loadEvents);
        }

        Assert.Null(status.Error);
        Assert.Equal(250, status.Steps);
        Assert.Equal(restChanges, status.Changes);
        // Making the scratch directory beside the churned one changes the root's mtime: the one event a root watch does not get.
        Assert.Equal(restEvents.Count + 1, status.Events);
        Assert.Equal(restEvents, loadEvents);
        Assert.Equal(Tree(rest.Cluster), Tree(model.Cluster));
        Assert.Contains(loadEvents, e => e.StartsWith("child_dir_moved_from", StringComparison.Ordinal));
        Assert.Contains(loadEvents, e => e.StartsWith("child_stream_added", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_tree_and_another_seed_does_not()
    {
        var first = await RunFreshAsync(LoadShape.Churn, seed: 3);
        var second = await RunFreshAsync(LoadShape.Churn, seed: 3);
        var other = await RunFreshAsync(LoadShape.Churn, seed: 4);
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);

        var unpack = await RunFreshAsync(LoadShape.Unpack, seed: 3);
        Assert.Equal(unpack, await RunFreshAsync(LoadShape.Unpack, seed: 3));
    }

    [Fact]
    public async Task A_bounded_burst_at_a_rate_stops_after_its_changes_and_is_paced()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1 });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        server.Load.Start(new LoadOptions { Path = "/data/churned/", Changes = 1500, Rate = 5000, Seed = 2 });
        var status = await server.Load.WaitAsync(CancellationToken.None);

        Assert.Null(status.Error);
        Assert.False(status.Running);
        Assert.InRange(status.Changes, 1500, 1500 + new LoadOptions().MaxTreeDelete);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.25), $"1,500 changes at 5,000 a second took {clock.Elapsed}");
        Assert.True(status.Events > status.Changes, "every change emits at least one notification, most two or more");
        Assert.Equal(status.Steps, status.Counts.Values.Sum());
        Assert.True(server.Cluster.EnumerateEntries("/data/churned/").Any(), "the load path was made and filled");
        Assert.True(server.Cluster.EnumerateEntries("/data/churned (churn scratch)/").Any(), "moves out went to the scratch area");
    }

    [Fact]
    public async Task A_long_churn_keeps_its_tree_the_size_and_depth_it_found()
    {
        // Before the churn kept its tree's size, this tree fell from about 1,500 entries to a few
        // dozen within 20,000 changes (tree deletions remove many entries, creations add one), and
        // directory moves to any directory nested the tree ever deeper.
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 6000, Seed = 1 });
        var path = server.Cluster.EnumerateEntries("/").Where(e => e.Type == FileType.Directory).MaxBy(e => Walk(server.Cluster, e.Path).Count())!.Path;
        int Depth(FsAttributes e) => e.Path.TrimEnd('/').Count(c => c == '/') - path.Count(c => c == '/') + 1;
        var before = Walk(server.Cluster, path).ToList();
        int depthBefore = before.Max(Depth);

        server.Load.Start(new LoadOptions { Path = path, Changes = 20_000, Seed = 7 });
        var status = await server.Load.WaitAsync(CancellationToken.None);

        Assert.Null(status.Error);
        Assert.True(status.Counts["delete_tree"] > 0 && status.Counts["move_out"] > 0 && status.Counts["move_dir"] > 0, string.Join(", ", status.Counts));
        var after = Walk(server.Cluster, path).ToList();
        Assert.InRange(after.Count, before.Count * 9 / 10, before.Count * 3 / 2);
        Assert.True(
            after.Count(e => e.Type == FileType.Directory) >= before.Count(e => e.Type == FileType.Directory) * 9 / 10,
            $"directories: {before.Count(e => e.Type == FileType.Directory)} before, {after.Count(e => e.Type == FileType.Directory)} after");
        Assert.True(after.Max(Depth) <= depthBefore + 4, $"depth {depthBefore} before, {after.Max(Depth)} after");
    }

    [Fact]
    public async Task An_unpack_burst_creates_one_tree_whose_files_are_each_written_once()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1 });
        server.Load.Start(new LoadOptions { Shape = LoadShape.Unpack, Changes = 4000, Seed = 9 });
        var status = await server.Load.WaitAsync(CancellationToken.None);

        Assert.Null(status.Error);
        Assert.Equal(4000, status.Changes);
        var counts = status.Counts;
        Assert.Equal(4000, counts["create_dir"] + counts["create_file"] + counts["write"]);
        Assert.InRange(counts["create_file"] - counts["write"], 0, 1);
        var root = Assert.Single(server.Cluster.EnumerateEntries(LoadOptions.DefaultPath));
        Assert.Equal(FileType.Directory, root.Type);
        var entries = Walk(server.Cluster, root.Path).ToList();
        Assert.Equal(counts["create_dir"] - 1 + counts["create_file"], entries.Count);
        Assert.True(entries.Count(e => e.Type == FileType.File && e.Size > 0) >= counts["write"] * 9 / 10, "written files have data");
        Assert.Contains(entries, e => e.Name.Contains('\n', StringComparison.Ordinal) || e.Name.Contains('"', StringComparison.Ordinal) || e.Name.Contains('%', StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_admin_endpoint_starts_waits_for_and_stops_a_load_and_a_notify_stream_gets_every_event()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 500, Seed = 3 });
        using var http = AdminClient(server);

        // A first small burst makes the load directory and scratch area, so the root watch below sees every later event.
        (await PostAsync(http, "start", new { changes = 1, path = "/busy" })).EnsureSuccessStatusCode();
        await PostAsync(http, "wait", new { seconds = 30 });

        using var client = new QumuloClient(Connection(server));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var registered = new TaskCompletionSource();
        long received = 0;
        long expected = long.MaxValue;
        var reading = Task.Run(async () =>
        {
            await foreach (var batch in client.NotifyAsync("/", recursive: true, null, _ => registered.TrySetResult(), timeout.Token))
            {
                if (Interlocked.Add(ref received, batch.Count) >= Interlocked.Read(ref expected))
                {
                    return;
                }
            }
        });
        await registered.Task.WaitAsync(timeout.Token);
        long eventsBefore = server.Cluster.EventsEmitted;

        using var started = await PostAsync(http, "start", new { shape = "churn", rate = 20000, changes = 1200, seed = 5, path = "/busy", max_tree_delete = 50 });
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        var final = await JsonAsync(await PostAsync(http, "wait", new { seconds = 30 }));
        Assert.False(final.GetProperty("running").GetBoolean());
        Assert.Equal(50, final.GetProperty("max_tree_delete").GetInt32());
        Assert.InRange(final.GetProperty("changes").GetInt64(), 1200, 1200 + 50);
        Assert.Equal(JsonValueKind.Null, final.GetProperty("error").ValueKind);
        Assert.Equal("churn", final.GetProperty("shape").GetString());

        Interlocked.Exchange(ref expected, server.Cluster.EventsEmitted - eventsBefore);
        Assert.Equal(final.GetProperty("events").GetInt64(), Interlocked.Read(ref expected));
        if (Interlocked.Read(ref received) < Interlocked.Read(ref expected))
        {
            await reading.WaitAsync(timeout.Token);
        }

        Assert.Equal(Interlocked.Read(ref expected), Interlocked.Read(ref received));

        // An unbounded load runs until stopped; a second start meanwhile is refused.
        (await PostAsync(http, "start", new { rate = 2000, path = "/busy" })).EnsureSuccessStatusCode();
        using var refused = await PostAsync(http, "start", new { path = "/busy" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.True((await JsonAsync(await http.GetAsync("__sim/load/status"))).GetProperty("running").GetBoolean());
        var stopped = await JsonAsync(await PostAsync(http, "stop", new { }));
        Assert.False(stopped.GetProperty("running").GetBoolean());

        using var badShape = await PostAsync(http, "start", new { shape = "explode" });
        Assert.Equal(HttpStatusCode.BadRequest, badShape.StatusCode);
        using var badPath = await PostAsync(http, "start", new { path = "/" });
        Assert.Equal(HttpStatusCode.BadRequest, badPath.StatusCode);
        Assert.Contains("other than the root", await badPath.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var badTree = await PostAsync(http, "start", new { path = "/busy", max_tree_delete = 0 });
        Assert.Equal(HttpStatusCode.BadRequest, badTree.StatusCode);
        Assert.Contains("largest tree", await badTree.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sim_serve_options_start_a_load_with_the_server()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Objects = 1,
            Load = new LoadOptions { Rate = 50_000, Changes = 300, Seed = 1, Path = "/from start" },
        });
        var status = await server.Load.WaitAsync(CancellationToken.None);
        Assert.Null(status.Error);
        Assert.True(status.Changes >= 300);
        Assert.Equal("/from start", status.Options!.Path);
    }

    private static async Task<List<string>> RunFreshAsync(LoadShape shape, int seed)
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions { Objects = 1500, Seed = 6 });
        var events = new List<string>();
        using (var watch = server.Cluster.Subscribe("/", recursive: true))
        {
            server.Load.Start(new LoadOptions { Shape = shape, Path = FirstDirectory(server.Cluster), Changes = 800, Seed = seed });
            var status = await server.Load.WaitAsync(CancellationToken.None);
            Assert.Null(status.Error);
            Drain(watch, events);
        }

        return [.. Tree(server.Cluster), "--", .. events];
    }

    private static string FirstDirectory(ClusterModel cluster) => cluster.EnumerateEntries("/").First(e => e.Type == FileType.Directory).Path;

    private static void Drain(NotificationSubscription watch, List<string> into)
    {
        while (watch.Reader.TryRead(out ModelNotification? n))
        {
            into.Add($"{n.Type}\t{n.Path}\t{n.StreamName}\t{string.Join(',', n.Spine)}");
        }
    }

    /// <summary>Every entry, sorted: path, type, id, size, links, mode, owner, group, streams (times aside: the clock is real).</summary>
    private static List<string> Tree(ClusterModel cluster) => Walk(cluster, "/")
        .Select(e => string.Join('\t', e.Path, e.Type, e.Id, e.Size, e.NumLinks, e.Mode, e.Owner, e.Group, e.ExtendedAttributes,
            e.Type == FileType.File ? string.Join('|', cluster.ListStreams(e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).Select(s => $"{s.Id}:{s.Name}:{s.Size}")) : ""))
        .Order(StringComparer.Ordinal)
        .ToList();

    private static IEnumerable<FsAttributes> Walk(ClusterModel cluster, string directory)
    {
        foreach (var e in cluster.EnumerateEntries(directory))
        {
            yield return e;
            if (e.Type == FileType.Directory)
            {
                foreach (var below in Walk(cluster, e.Path))
                {
                    yield return below;
                }
            }
        }
    }

    private static HttpClient AdminClient(SimulatorServer server)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)) == server.CertificateSha256,
        };
        return new HttpClient(handler) { BaseAddress = server.BaseAddress };
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string action, object body) => http.PostAsJsonAsync($"__sim/load/{action}", body);

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using (response)
        {
            response.EnsureSuccessStatusCode();
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return document.RootElement.Clone();
        }
    }

    private static QumuloConnection Connection(SimulatorServer server) => new()
    {
        Host = server.BaseAddress.Host,
        Port = server.BaseAddress.Port,
        User = "admin",
        Password = "admin",
        PinSha256 = server.CertificateSha256,
    };
}
