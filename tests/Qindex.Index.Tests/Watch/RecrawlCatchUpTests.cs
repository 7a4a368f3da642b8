using Microsoft.Extensions.Logging;
using Qindex.Index.Query;
using Qindex.Index.Store;
using Qindex.Index.Verify;
using Qindex.Index.Watch;
using Qindex.Qumulo;
using Qindex.Simulator;
using Qindex.Simulator.Model;

namespace Qindex.Index.Tests.Watch;

/// <summary>
/// A catch-up with no snapshot difference to apply (here: a user whose role leaves out the
/// snapshot privileges, the simulator's <c>watcher</c>) walks the cluster and compares the walk
/// with the index: it applies and logs only the rows that differ, and past its limit replaces the
/// table with the walk.
/// </summary>
public sealed class RecrawlCatchUpTests : IAsyncLifetime
{
    private SimulatorCluster _cluster = null!;
    private string _indexDir = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimulatorCluster.StartAsync(new SimulatorOptions { Objects = 200, Seed = 31, KeepAliveSeconds = 1 });
        _indexDir = _cluster.NewIndexDirectory();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private QumuloClient WatcherClient() =>
        new(SimulatorCluster.ConnectionTo(_cluster.Server) with { User = "watcher", Password = "watcher" });

    private static WatchOptions Options(int recrawlChangeLimit) => new()
    {
        ClusterHost = "127.0.0.1",
        RootPath = "/",
        BatchWindow = TimeSpan.FromMilliseconds(200),
        KeepAliveTimeout = TimeSpan.FromSeconds(5),
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
        RecrawlChangeLimit = recrawlChangeLimit,
    };

    /// <summary>Runs a watcher until its first catch-up has committed, then stops it.</summary>
    private async Task<(WatchMetrics Metrics, List<string> Warnings)> CatchUpOnceAsync(QumuloClient client, IIndexStore store, int recrawlChangeLimit = 250_000)
    {
        var metrics = new WatchMetrics();
        var logger = new WarningLog();
        var watcher = new Watcher(client, store, _indexDir, Options(recrawlChangeLimit), metrics, logger, new IndexHardLinkSource(store));
        var (run, stop) = await WatchStart.UntilCaughtUpAsync(watcher, TimeSpan.FromSeconds(60));
        using var stopping = stop;
        await stop.CancelAsync();
        Assert.Equal(WatchExit.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        return (metrics, logger.Warnings);
    }

    private static async Task<Dictionary<string, DateTime>> IngestTimesAsync(IIndexStore store)
    {
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        await using var reader = await engine.ExecuteReaderAsync("SELECT path, ingest_ts FROM files", CancellationToken.None);
        var times = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            times[reader.GetString(0)] = reader.GetDateTime(1);
        }

        return times;
    }

    /// <summary>The changes table's rows under <paramref name="prefix"/> (by path or previous path), as "kind previous -> path", sorted.</summary>
    private static async Task<List<string>> ChangesAsync(IIndexStore store, string prefix)
    {
        await using var engine = await QueryEngine.OpenAsync(store, CancellationToken.None);
        await using var reader = await engine.ExecuteReaderAsync(
            "SELECT kind, previous_path, path FROM changes WHERE starts_with(path, ?) OR starts_with(previous_path, ?)", [prefix, prefix], CancellationToken.None);
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetString(0)} {(reader.IsDBNull(1) ? "-" : reader.GetString(1))} -> {reader.GetString(2)}");
        }

        return rows.Order(StringComparer.Ordinal).ToList();
    }

    private static async Task AssertEqualToClusterAsync(QumuloClient client, IIndexStore store)
    {
        var report = await new IndexVerifier(client).RunAsync(
            new VerifyOptions { ClusterHost = "127.0.0.1", RootPath = "/", UseSnapshot = false, ExamplesPerKind = 20 }, store, null, CancellationToken.None);
        Assert.True(report.Equal, $"missing [{string.Join(" | ", report.MissingExamples)}] extra [{string.Join(" | ", report.ExtraExamples)}] different [{string.Join(" | ", report.DifferentExamples.Select(d => d.Path))}]");
    }

    /// <summary>A directory holding files to leave, write, delete and rename, and a subdirectory of three files to rename.</summary>
    private (string Directory, string Untouched) Fixture()
    {
        var cluster = _cluster.Server.Cluster;
        var directory = cluster.CreateDirectory("/", "gap 'walked' 100%").Path;
        var untouched = cluster.CreateFile(directory, "untouched").Path;
        cluster.CreateFile(directory, "to write");
        cluster.CreateFile(directory, "to chmod");
        cluster.CreateFile(directory, "to delete");
        cluster.CreateFile(directory, "to rename");
        var sub = cluster.CreateDirectory(directory, "sub").Path;
        for (var i = 0; i < 3; i++)
        {
            cluster.CreateFile(sub, $"f{i}");
        }

        return (directory, untouched);
    }

    /// <summary>The changes a watcher that is stopped does not see.</summary>
    private void ChangeWhileStopped(string directory)
    {
        var cluster = _cluster.Server.Cluster;
        cluster.ReplaceData(directory + "to write", 4096);
        cluster.PatchAttributes(directory + "to chmod", new AttributePatch { Mode = Convert.ToInt32("600", 8) });
        cluster.Delete(directory + "to delete");
        cluster.Rename(directory, "renamed \u00e9", directory + "to rename");
        cluster.Rename(directory, "sub moved", directory + "sub/");
        cluster.CreateFile(directory, "new\nline");
    }

    [Fact]
    public async Task Without_snapshot_privileges_a_catch_up_applies_and_logs_only_the_rows_that_differ_from_a_walk()
    {
        using var client = WatcherClient();
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        var (directory, untouched) = Fixture();

        // The first start has no index: it crawls into it.
        var (first, firstWarnings) = await CatchUpOnceAsync(client, store);
        Assert.Equal(1, first.CatchUps.WithLabels("recrawl").Value);
        Assert.Contains(firstWarnings, w => w.Contains("PRIVILEGE_SNAPSHOT_READ", StringComparison.Ordinal));
        var before = await IngestTimesAsync(store);

        ChangeWhileStopped(directory);
        var (second, _) = await CatchUpOnceAsync(client, store);
        Assert.Equal(1, second.CatchUps.WithLabels("recrawl").Value);
        Assert.Equal(0, second.CatchUps.WithLabels("diff").Value);

        await AssertEqualToClusterAsync(client, store);
        var after = await IngestTimesAsync(store);

        // Rows the gap did not change were not written again.
        Assert.Equal(before[untouched], after[untouched]);
        var rewritten = before.Keys.Where(p => after.TryGetValue(p, out var t) && t != before[p]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([directory, directory + "to chmod", directory + "to write"], rewritten);

        // Each difference is logged, renames paired by the file's id.
        string[] expected =
        [
            $"delete - -> {directory}to delete",
            $"insert - -> {directory}new\nline",
            $"rename {directory}sub/ -> {directory}sub moved/",
            .. Enumerable.Range(0, 3).Select(i => $"rename {directory}sub/f{i} -> {directory}sub moved/f{i}"),
            $"rename {directory}to rename -> {directory}renamed \u00e9",
            $"update - -> {directory}",
            $"update - -> {directory}to chmod",
            $"update - -> {directory}to write",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), await ChangesAsync(store, directory));
    }

    [Fact]
    public async Task A_walk_differing_in_more_rows_than_the_limit_replaces_the_table_and_says_so()
    {
        using var client = WatcherClient();
        await using var store = await IndexStoreFactory.OpenAsync(new IndexLocation(_indexDir), CancellationToken.None);
        var (directory, _) = Fixture();
        await CatchUpOnceAsync(client, store, recrawlChangeLimit: 3);
        var filesBefore = (await store.ScanAsync(CancellationToken.None)).DataFiles;

        ChangeWhileStopped(directory);
        var (second, warnings) = await CatchUpOnceAsync(client, store, recrawlChangeLimit: 3);
        Assert.Equal(1, second.CatchUps.WithLabels("recrawl").Value);
        Assert.Contains(warnings, w => w.Contains("more than 3: replacing the table", StringComparison.Ordinal));

        await AssertEqualToClusterAsync(client, store);
        Assert.Empty(await ChangesAsync(store, directory));
        Assert.Empty((await store.ScanAsync(CancellationToken.None)).DataFiles.Intersect(filesBefore));
    }

    /// <summary>Keeps the text of every warning logged.</summary>
    private sealed class WarningLog : ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                lock (Warnings)
                {
                    Warnings.Add(formatter(state, exception));
                }
            }
        }
    }
}
