using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Qindex.Index.Crawl;
using Qindex.Index.Snapshots;
using Qindex.Index.Store;
using Qindex.Index.Tests.Watch;
using Qindex.Index.Watch;
using Qindex.Qumulo;
using Qindex.Simulator;

namespace Qindex.Index.Tests.Snapshots;

/// <summary>
/// The watcher's catch-up snapshots follow the same lifecycle as crawl's (one owner,
/// <see cref="BaselineSnapshots"/>): a failed or cancelled catch-up leaves none of its own, a
/// killed watcher's is removed at the next start, rotation leaves exactly the baseline's, and two
/// indexes on one cluster never delete each other's.
/// </summary>
public sealed class WatchSnapshotsTests : IAsyncLifetime
{
    private SimulatorCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await SimulatorCluster.StartAsync(new SimulatorOptions { Objects = 300, Seed = 17, KeepAliveSeconds = 1 });

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static WatchOptions Options(string root = "/") => new()
    {
        ClusterHost = "127.0.0.1",
        RootPath = root,
        BatchWindow = TimeSpan.FromMilliseconds(200),
        // Longer than any pause of a loaded machine: a stream given up for silence would add a
        // catch-up to the counts these tests assert.
        KeepAliveTimeout = TimeSpan.FromSeconds(30),
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
    };

    private static async Task CrawlAsync(QumuloClient client, IIndexStore store) =>
        await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "127.0.0.1", RootPath = "/", Concurrency = 2 }, store, null, CancellationToken.None);

    private static async Task<string?> BaselineIdAsync(IIndexStore store) =>
        (await store.GetStatusAsync(CancellationToken.None)).Baseline?.ClusterSnapshotId;

    private static string Id(Qindex.Simulator.Model.SnapshotInfo snapshot) => snapshot.Id.ToString(CultureInfo.InvariantCulture);

    private static CatchUp NewCatchUp(QumuloClient client, MemoryIndexStore store, string indexDirectory) =>
        new(client, store, new PlanApplier(client, Options()), new TouchedPathJournal(indexDirectory), Options(), BaselineSnapshots.For(client, store), NullLogger.Instance);

    /// <summary>A running watcher and a way to wait for its catch-ups.</summary>
    private sealed class Running
    {
        private int _catchUps;

        public Running(Watcher watcher)
        {
            watcher.Committed += c =>
            {
                if (c.CatchUp)
                {
                    Interlocked.Increment(ref _catchUps);
                }
            };
            Run = Task.Run(() => watcher.RunAsync(Stop.Token));
        }

        public CancellationTokenSource Stop { get; } = new();

        public Task<WatchExit> Run { get; }

        public int CatchUps => Volatile.Read(ref _catchUps);

        public async Task WaitForCatchUpsAsync(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (CatchUps < count)
            {
                if (Run.IsCompleted)
                {
                    await Run;
                    Assert.Fail("the watcher stopped before catching up");
                }

                Assert.True(DateTime.UtcNow < deadline, $"{CatchUps} catch-ups after 30 s, waiting for {count}");
                await Task.Delay(20);
            }
        }

        public async Task StopAsync()
        {
            await Stop.CancelAsync();
            Assert.Equal(WatchExit.Stopped, await Run.WaitAsync(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public async Task A_catch_up_that_fails_or_is_cancelled_before_its_commit_leaves_no_snapshot_of_its_own()
    {
        using var client = _cluster.Client(initialBackoff: TimeSpan.FromMilliseconds(20));
        var store = new MemoryIndexStore();
        await CrawlAsync(client, store);
        var baseline = (await store.GetStatusAsync(CancellationToken.None)).Baseline;
        var catchUp = NewCatchUp(client, store, _cluster.NewIndexDirectory());
        _cluster.Server.Cluster.CreateFile("/", "changed after the crawl");

        // The commit fails (a full disk, say) after the snapshot was taken and the difference read.
        var commits = 0;
        store.BeforeCommit = _ =>
        {
            commits++;
            throw new IOException("no space left on device");
        };
        await Assert.ThrowsAsync<IOException>(() => catchUp.RunAsync(baseline, new Dictionary<string, string>(), CancellationToken.None));
        Assert.Equal(1, commits);
        Assert.Equal(baseline!.ClusterSnapshotId, Id(Assert.Single(_cluster.QindexSnapshots())));

        // Cancelled (Ctrl-C) while reading the difference, slowed so that it is still reading: a
        // second a request, so the cancel lands seconds before the commit even on a loaded machine
        // (at 50 ms the two or three requests after the snapshot left a window of 150 ms).
        store.BeforeCommit = null;
        await _cluster.FaultAsync("latency", new { ms = 1000, seconds = 30 });
        using (var cancel = new CancellationTokenSource())
        {
            var running = catchUp.RunAsync(baseline, new Dictionary<string, string>(), cancel.Token);
            while (_cluster.QindexSnapshots().Count < 2)
            {
                Assert.False(running.IsCompleted, "the catch-up ended before it was cancelled");
                await Task.Delay(5);
            }

            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        }

        await _cluster.FaultAsync("clear");
        Assert.Equal(baseline.ClusterSnapshotId, Id(Assert.Single(_cluster.QindexSnapshots())));
        Assert.Equal(baseline.ClusterSnapshotId, await BaselineIdAsync(store));

        // The same catch-up succeeds afterwards and leaves only its own snapshot, now the baseline.
        var result = await catchUp.RunAsync(baseline, new Dictionary<string, string>(), CancellationToken.None);
        Assert.Equal(CatchUpMode.Diff, result.Mode);
        Assert.Equal(result.Baseline.ClusterSnapshotId, Id(Assert.Single(_cluster.QindexSnapshots())));
        Assert.StartsWith(BaselineSnapshots.For(client, store).Prefix + CatchUp.SnapshotPurpose + "-", Assert.Single(_cluster.QindexSnapshots()).Name, StringComparison.Ordinal);
        Assert.Contains("/changed after the crawl", store.Rows.Keys);
    }

    [Fact]
    public async Task A_watcher_killed_between_its_snapshot_and_its_commit_leaves_a_leftover_the_next_start_removes()
    {
        using var client = _cluster.Client(initialBackoff: TimeSpan.FromMilliseconds(20));
        var store = new MemoryIndexStore();
        var indexDirectory = _cluster.NewIndexDirectory();
        await CrawlAsync(client, store);
        var crawled = await BaselineIdAsync(store);

        // The first watcher freezes in its catch-up commit, as a process killed at that moment would.
        var frozen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BeforeCommit = checkpoint =>
        {
            if (checkpoint.TryGetValue(WatchCheckpoint.Kind, out var kind) && kind == "catch-up" && frozen.TrySetResult())
            {
                return killed.Task;
            }

            return Task.CompletedTask;
        };
        var first = new Running(new Watcher(client, store, indexDirectory, Options(), new WatchMetrics(), NullLogger.Instance, store));
        await frozen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var left = _cluster.QindexSnapshots().Where(s => Id(s) != crawled).ToList();
        var leftover = Assert.Single(left);
        Assert.StartsWith(BaselineSnapshots.For(client, store).Prefix + "watch-", leftover.Name, StringComparison.Ordinal);

        // The next start removes it at once, before its own catch-up commits (not only once that
        // commit supersedes it, and not after the age that protects a crawl running elsewhere).
        bool? leftoverAtCommit = null;
        store.BeforeCommit = _ =>
        {
            leftoverAtCommit ??= _cluster.Server.Cluster.ListSnapshots().Any(s => s.Id == leftover.Id);
            return Task.CompletedTask;
        };
        var second = new Running(new Watcher(client, store, indexDirectory, Options(), new WatchMetrics(), NullLogger.Instance, store));
        await second.WaitForCatchUpsAsync(1);
        Assert.False(leftoverAtCommit);
        Assert.DoesNotContain(_cluster.Server.Cluster.ListSnapshots(), s => s.Id == leftover.Id);
        var baseline = await BaselineIdAsync(store);
        Assert.NotEqual(crawled, baseline);
        Assert.Equal(baseline, Id(Assert.Single(_cluster.QindexSnapshots())));
        await second.StopAsync();

        // Let the frozen one die without committing.
        await first.Stop.CancelAsync();
        killed.SetException(new IOException("killed"));
        await first.Run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(baseline, Id(Assert.Single(_cluster.QindexSnapshots())));
    }

    [Fact]
    public async Task After_many_catch_ups_exactly_the_baseline_snapshot_remains()
    {
        using var client = _cluster.Client(initialBackoff: TimeSpan.FromMilliseconds(20));
        var store = new MemoryIndexStore();
        await CrawlAsync(client, store);
        var administrators = _cluster.Server.Cluster.CreateSnapshot(2, "an-administrators-own", null);
        var metrics = new WatchMetrics();
        var watcher = new Running(new Watcher(client, store, _cluster.NewIndexDirectory(), Options(), metrics, NullLogger.Instance, store));
        await watcher.WaitForCatchUpsAsync(1);
        const int rounds = 4;
        for (var i = 0; i < rounds; i++)
        {
            _cluster.Server.Cluster.CreateFile("/", $"round {i}");
            await _cluster.FaultAsync("drop-streams");
            await watcher.WaitForCatchUpsAsync(2 + i);
            Assert.Equal(await BaselineIdAsync(store), Id(Assert.Single(_cluster.QindexSnapshots())));
        }

        await watcher.StopAsync();
        Assert.Equal(1 + rounds, metrics.CatchUps.WithLabels("diff").Value);
        Assert.Equal(0, metrics.CatchUps.WithLabels("recrawl").Value);
        Assert.Equal(await BaselineIdAsync(store), Id(Assert.Single(_cluster.QindexSnapshots())));
        Assert.Contains(_cluster.Server.Cluster.ListSnapshots(), s => s.Id == administrators.Id);
        Assert.Contains($"/round {rounds - 1}", store.Rows.Keys);
    }

    [Fact]
    public async Task A_running_verify_keeps_its_snapshot_through_the_watchers_rotations_and_a_crawl()
    {
        using var client = _cluster.Client(initialBackoff: TimeSpan.FromMilliseconds(20));
        var store = new MemoryIndexStore();
        await CrawlAsync(client, store);

        // Named as qindex verify names it: older than every baseline that follows, yet still in use.
        var verify = await BaselineSnapshots.For(client, store).TakeAsync("2", BaselineSnapshots.VerifyPurpose, CancellationToken.None);
        await using (verify)
        {
            var watcher = new Running(new Watcher(client, store, _cluster.NewIndexDirectory(), Options(), new WatchMetrics(), NullLogger.Instance, store));
            await watcher.WaitForCatchUpsAsync(1);
            await _cluster.FaultAsync("drop-streams");
            await watcher.WaitForCatchUpsAsync(2);
            await watcher.StopAsync();
            await CrawlAsync(client, store);
            Assert.Contains(_cluster.Server.Cluster.ListSnapshots(), s => s.Id == verify.Id);
        }

        // Its taker deletes it; only the baseline is left.
        Assert.Equal(await BaselineIdAsync(store), Id(Assert.Single(_cluster.QindexSnapshots())));
    }

    [Fact]
    public async Task Crawls_and_watches_of_two_indexes_on_one_cluster_never_delete_each_others_snapshots()
    {
        using var client = _cluster.Client(initialBackoff: TimeSpan.FromMilliseconds(20));
        var directoryA = _cluster.NewIndexDirectory();
        var directoryB = _cluster.NewIndexDirectory();
        await using var a = await IndexStoreFactory.OpenAsync(new IndexLocation(directoryA), CancellationToken.None);
        await using var b = await IndexStoreFactory.OpenAsync(new IndexLocation(directoryB), CancellationToken.None);
        var tagA = BaselineSnapshots.TagOf(a);
        var tagB = BaselineSnapshots.TagOf(b);
        Assert.NotEqual(tagA, tagB);
        await CrawlAsync(client, a);
        await CrawlAsync(client, b);

        var metricsA = new WatchMetrics();
        var metricsB = new WatchMetrics();
        var watchA = new Running(new Watcher(client, a, directoryA, Options(), metricsA, NullLogger.Instance));
        var watchB = new Running(new Watcher(client, b, directoryB, Options(), metricsB, NullLogger.Instance));
        await watchA.WaitForCatchUpsAsync(1);
        await watchB.WaitForCatchUpsAsync(1);

        // Both reconnect and rotate their baselines; then A stops and is crawled again while B watches.
        _cluster.Server.Cluster.CreateFile("/", "seen by both");
        await _cluster.FaultAsync("drop-streams");
        await watchA.WaitForCatchUpsAsync(2);
        await watchB.WaitForCatchUpsAsync(2);
        await watchA.StopAsync();
        await CrawlAsync(client, a);
        await _cluster.FaultAsync("drop-streams");
        await watchB.WaitForCatchUpsAsync(3);
        watchA = new Running(new Watcher(client, a, directoryA, Options(), metricsA, NullLogger.Instance));
        await watchA.WaitForCatchUpsAsync(1);
        await watchA.StopAsync();
        await watchB.StopAsync();

        // Every catch-up read changes-since from a baseline snapshot still there: none had to crawl again.
        Assert.Equal(0, metricsA.CatchUps.WithLabels("recrawl").Value);
        Assert.Equal(0, metricsB.CatchUps.WithLabels("recrawl").Value);
        Assert.Equal(3, metricsA.CatchUps.WithLabels("diff").Value);
        Assert.Equal(3, metricsB.CatchUps.WithLabels("diff").Value);
        var snapshots = _cluster.QindexSnapshots();
        Assert.Equal(await BaselineIdAsync(a), Id(Assert.Single(snapshots, s => s.Name.StartsWith($"qindex-{tagA}-", StringComparison.Ordinal))));
        Assert.Equal(await BaselineIdAsync(b), Id(Assert.Single(snapshots, s => s.Name.StartsWith($"qindex-{tagB}-", StringComparison.Ordinal))));
        Assert.Equal(2, snapshots.Count);
    }
}
