using Microsoft.Extensions.Logging.Abstractions;
using Qindex.Index.Crawl;
using Qindex.Index.Records;
using Qindex.Index.Watch;
using Qindex.Qumulo;
using Qindex.Simulator;
using Qindex.Simulator.Churn;

namespace Qindex.Index.Tests.Watch;

/// <summary>
/// The watcher against the simulator over a real socket: after churn, renames, moves in and out,
/// dropped streams and expired tokens, the index equals a fresh crawl of the cluster and holds
/// exactly the paths an independent walk of the simulator's model finds.
/// </summary>
public sealed class WatcherTests : IAsyncLifetime
{
    private SimulatorCluster _cluster = null!;
    private string _indexDir = null!;

    public Task InitializeAsync() => StartServerAsync(SimulatorOptions.DefaultMaxEventsPerMessage);

    private async Task StartServerAsync(int eventsPerMessage)
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        _cluster = await SimulatorCluster.StartAsync(new SimulatorOptions { Objects = 1500, Seed = 7, KeepAliveSeconds = 1, MaxEventsPerMessage = eventsPerMessage });
        _indexDir = _cluster.NewIndexDirectory();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private QumuloClient Client() => _cluster.Client(initialBackoff: TimeSpan.FromMilliseconds(20));

    private static WatchOptions Options(string root) => new()
    {
        ClusterHost = "127.0.0.1",
        RootPath = root,
        BatchWindow = TimeSpan.FromMilliseconds(200),
        KeepAliveTimeout = TimeSpan.FromSeconds(5),
        ReconnectDelay = TimeSpan.FromMilliseconds(50),
        ListThreshold = 8,
    };

    /// <summary>A directory with a few subdirectories, chosen from the generated tree.</summary>
    private string PickDirectory()
    {
        return _cluster.Server.Cluster.EnumerateEntries("/")
            .Where(e => e.Path.EndsWith('/'))
            .Select(e => e.Path)
            .OrderByDescending(p => _cluster.Server.Cluster.EnumerateEntries(p).Count())
            .First();
    }

    private static async Task<MemoryIndexStore> CrawlAsync(QumuloClient client, string root, bool snapshot = true)
    {
        var store = new MemoryIndexStore();
        var mode = snapshot ? CrawlSnapshotMode.Auto : CrawlSnapshotMode.None;
        await new Crawler(client).RunAsync(new CrawlOptions { ClusterHost = "127.0.0.1", RootPath = root, SnapshotMode = mode }, store, null, CancellationToken.None);
        return store;
    }

    /// <summary>Waits until the index equals a fresh crawl (the cluster is quiet by then); fails with the differences otherwise.</summary>
    /// <remarks>
    /// <paramref name="ignoreChangeTime"/>: the model emits no event for a patch that sets only
    /// change_time (docs/simulator-event-model.md), so only a catch-up can see it; watch-only
    /// phases compare everything else, except num_links: these tests watch a subdirectory while
    /// the churn links, moves and removes files across its boundary (its scratch directory lies
    /// beside it), and a link whose other name is outside the watched tree changes num_links with
    /// no event the watch receives. The final full comparison, after a catch-up, covers both.
    /// Links inside the watched tree are checked without a catch-up in HardLinkWatchTests.
    /// </remarks>
    private async Task AssertConvergesAsync(QumuloClient client, MemoryIndexStore index, string root, bool ignoreChangeTime = false, Task? watcher = null)
    {
        List<string> differences = [];
        for (var attempt = 0; attempt < 40; attempt++)
        {
            var fresh = await CrawlAsync(client, root, snapshot: false);
            differences = Compare(fresh.Rows, index.Rows, ignoreChangeTime);
            if (differences.Count == 0)
            {
                var modelPaths = _cluster.ModelPaths(root);
                Assert.Equal(modelPaths.Order(StringComparer.Ordinal), index.Rows.Keys.Order(StringComparer.Ordinal));
                return;
            }

            if (watcher is { IsFaulted: true })
            {
                await watcher;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"{differences.Count} differences, first: {string.Join(" | ", differences.Take(10)).ReplaceLineEndings("\\n")}");
    }

    private static List<string> Compare(IReadOnlyDictionary<string, FileRecord> expected, IReadOnlyDictionary<string, FileRecord> actual, bool ignoreChangeTime)
    {
        var differences = new List<string>();
        foreach (var (path, record) in expected)
        {
            if (!actual.TryGetValue(path, out var other))
            {
                differences.Add("missing " + path);
            }
            else if (record with { IngestTs = null, ChangeTime = ignoreChangeTime ? null : record.ChangeTime, NumLinks = ignoreChangeTime ? null : record.NumLinks }
                     != other with { IngestTs = null, ChangeTime = ignoreChangeTime ? null : other.ChangeTime, NumLinks = ignoreChangeTime ? null : other.NumLinks })
            {
                var fields = typeof(FileRecord).GetProperties()
                    .Where(p => p.Name != nameof(FileRecord.IngestTs) && !(ignoreChangeTime && p.Name is nameof(FileRecord.ChangeTime) or nameof(FileRecord.NumLinks)) && !Equals(p.GetValue(record), p.GetValue(other)))
                    .Select(p => $"{p.Name}: {p.GetValue(record)} != {p.GetValue(other)}");
                differences.Add("differs " + path + " (" + string.Join(", ", fields) + ")");
            }
        }

        differences.AddRange(actual.Keys.Where(p => !expected.ContainsKey(p)).Select(p => "extra " + p));
        return differences;
    }

    /// <summary>Holds the first batch's commit: <c>Entered</c> completes when it is reached, and it goes on once <c>Release</c> is set.</summary>
    private static (TaskCompletionSource Entered, TaskCompletionSource Release) HoldFirstBatchCommit(MemoryIndexStore index)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        index.BeforeCommit = async checkpoint =>
        {
            if (checkpoint.GetValueOrDefault(WatchCheckpoint.Kind) == "batch" && entered.TrySetResult())
            {
                await release.Task;
            }
        };
        return (entered, release);
    }

    private Task FaultAsync(string kind) => _cluster.FaultAsync(kind);

    private static async Task<(Task<WatchExit> Run, CancellationTokenSource Stop, List<WatchCommitted> Commits)> StartAsync(Watcher watcher)
    {
        var commits = new List<WatchCommitted>();
        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Committed += c =>
        {
            lock (commits)
            {
                commits.Add(c);
            }

            if (c.CatchUp)
            {
                caughtUp.TrySetResult();
            }
        };
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => watcher.RunAsync(stop.Token));
        await Task.WhenAny(caughtUp.Task, run).WaitAsync(TimeSpan.FromSeconds(30));
        if (run.IsCompleted)
        {
            await run;
        }

        return (run, stop, commits);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5000)]
    public async Task Churn_with_renames_and_moves_in_and_out_leaves_the_index_equal_to_the_cluster(int eventsPerMessage)
    {
        await StartServerAsync(eventsPerMessage);
        using var client = Client();
        var root = PickDirectory();
        var index = await CrawlAsync(client, root);
        var watcher = new Watcher(client, index, _indexDir, Options(root), new WatchMetrics(), NullLogger.Instance, index);
        var (run, stop, commits) = await StartAsync(watcher);

        // The churn's scratch directory is beside the watched one: its moves cross the boundary.
        var churn = await new ChurnWorkload(client, new ChurnOptions { Path = root, Ops = 400, Seed = 3 }).RunAsync(CancellationToken.None);
        Assert.True(churn.Counts.Where(c => c.Key.Contains("move", StringComparison.Ordinal) || c.Key.Contains("rename", StringComparison.Ordinal)).Sum(c => c.Value) > 0);

        // A directory of many files renamed: the rows move without being fetched again.
        var big = _cluster.Server.Cluster.CreateDirectory(root, "big").Path;
        for (var i = 0; i < 300; i++)
        {
            _cluster.Server.Cluster.CreateFile(big, $"f{i}");
        }

        await AssertConvergesAsync(client, index, root, ignoreChangeTime: true, watcher: run);
        _cluster.Server.Cluster.Rename(root, "big renamed", big);
        await AssertConvergesAsync(client, index, root, ignoreChangeTime: true, watcher: run);

        // A catch-up (forced by dropping the stream) also brings in what no event announces.
        await FaultAsync("drop-streams");
        await AssertConvergesAsync(client, index, root);

        await stop.CancelAsync();
        Assert.Equal(WatchExit.Stopped, await run);
        lock (commits)
        {
            Assert.Contains(commits, c => !c.CatchUp && c.Events > 0);
        }
    }

    [Fact]
    public async Task The_next_batch_is_read_from_the_cluster_while_the_one_before_commits_and_commits_land_in_order()
    {
        using var client = Client();
        var root = PickDirectory();
        var index = await CrawlAsync(client, root);
        var firstCommit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var order = new List<string>();
        index.BeforeCommit = async checkpoint =>
        {
            if (checkpoint.GetValueOrDefault(WatchCheckpoint.Kind) != "batch")
            {
                return;
            }

            lock (order)
            {
                order.Add(checkpoint[WatchCheckpoint.Events]);
            }

            if (firstCommit.TrySetResult())
            {
                await release.Task;
            }
        };
        var watcher = new Watcher(client, index, _indexDir, Options(root), new WatchMetrics(), NullLogger.Instance, index);
        var resolvedWhileHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.BatchResolved += _ =>
        {
            if (firstCommit.Task.IsCompleted && !release.Task.IsCompleted)
            {
                resolvedWhileHeld.TrySetResult();
            }
        };
        var (run, stop, commits) = await StartAsync(watcher);

        var first = _cluster.Server.Cluster.CreateFile(root, "first batch").Path;
        await firstCommit.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var second = _cluster.Server.Cluster.CreateFile(root, "second batch").Path;

        // The second batch is read while the first one's commit is held, and waits for it.
        await resolvedWhileHeld.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(first, index.Rows.Keys);
        Assert.DoesNotContain(second, index.Rows.Keys);
        release.SetResult();

        await AssertConvergesAsync(client, index, root, watcher: run);
        Assert.Contains(first, index.Rows.Keys);
        Assert.Contains(second, index.Rows.Keys);
        await stop.CancelAsync();
        Assert.Equal(WatchExit.Stopped, await run);
        lock (commits)
        {
            var batches = commits.Where(c => !c.CatchUp).Select(c => c.Events.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            lock (order)
            {
                Assert.Equal(order, batches);
            }
        }
    }

    [Fact]
    public async Task A_watcher_behind_the_stream_takes_what_already_waits_into_one_batch_past_its_window()
    {
        // One event a message and no window: a batch would be one message if the clock alone
        // closed it. Events that pile up while a commit is held must join the next batch.
        await StartServerAsync(1);
        using var client = Client();
        var root = PickDirectory();
        var index = await CrawlAsync(client, root);
        var (entered, release) = HoldFirstBatchCommit(index);
        var metrics = new WatchMetrics();
        var watcher = new Watcher(client, index, _indexDir, Options(root) with { BatchWindow = TimeSpan.Zero }, metrics, NullLogger.Instance, index);
        var (run, stop, commits) = await StartAsync(watcher);
        _cluster.Server.Cluster.CreateFile(root, "held");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        const int waiting = 60;
        for (var i = 0; i < waiting; i++)
        {
            _cluster.Server.Cluster.CreateFile(root, $"waiting {i}");
        }

        // Every event has reached the watcher (a batch or its buffer) before the commit goes on.
        double Arrived() => metrics.EventsReceived.WithLabels("child_file_added").Value + metrics.Buffered.Value;
        for (var i = 0; i < 200 && Arrived() < waiting + 1; i++)
        {
            await Task.Delay(50);
        }

        Assert.True(Arrived() >= waiting + 1, $"{Arrived()} events arrived");
        release.SetResult();
        await AssertConvergesAsync(client, index, root, watcher: run);
        await stop.CancelAsync();
        Assert.Equal(WatchExit.Stopped, await run);
        lock (commits)
        {
            // The held batch, the one read while it was held, and the rest together (the stream
            // may split its last messages over one more).
            var batches = commits.Where(c => !c.CatchUp).ToList();
            Assert.InRange(batches.Count, 2, 4);
            Assert.True(batches.Max(b => b.Events) >= waiting / 2, $"batches of {string.Join(", ", batches.Select(b => b.Events))} events");
        }
    }

    [Fact]
    public async Task A_batch_of_messages_that_waited_longer_than_the_window_closes_when_the_buffer_is_empty()
    {
        // The window runs from when a batch's first message arrived. Messages that waited in the
        // buffer longer than the window (the watcher busy with the batches before) form a batch
        // that closes once they are taken; a message sent after that is in the next batch, where
        // a window counted from when the watcher took the first message would still be open.
        await StartServerAsync(1);
        using var client = Client();
        var root = PickDirectory();
        var index = await CrawlAsync(client, root);
        var (entered, release) = HoldFirstBatchCommit(index);
        var window = TimeSpan.FromSeconds(4);
        var metrics = new WatchMetrics();
        var watcher = new Watcher(client, index, _indexDir, Options(root) with { BatchWindow = window }, metrics, NullLogger.Instance, index);
        var resolved = 0;
        var secondResolved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thirdResolved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.BatchResolved += _ =>
        {
            switch (Interlocked.Increment(ref resolved))
            {
                case 2:
                    secondResolved.TrySetResult();
                    break;
                case 3:
                    thirdResolved.TrySetResult();
                    break;
            }
        };
        var (run, stop, commits) = await StartAsync(watcher);
        _cluster.Server.Cluster.CreateFile(root, "held");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The second batch is read and waits for the held commit; the loop is blocked there, so
        // what arrives now waits in the buffer.
        _cluster.Server.Cluster.CreateFile(root, "read while held");
        await secondResolved.Task.WaitAsync(TimeSpan.FromSeconds(30));
        double Arrived() => metrics.EventsReceived.GetAllLabelValues().Sum(l => metrics.EventsReceived.WithLabels(l).Value) + metrics.Buffered.Value;
        var before = Arrived();
        _cluster.Server.Cluster.CreateFile(root, "waited 1");
        _cluster.Server.Cluster.CreateFile(root, "waited 2");

        // Every event of the two creates is in the buffer once the count stops moving.
        var (seen, still) = (Arrived(), 0);
        for (var i = 0; i < 200 && (metrics.Buffered.Value < 2 || still < 6); i++)
        {
            await Task.Delay(50);
            (seen, still) = Arrived() == seen ? (seen, still + 1) : (Arrived(), 0);
        }

        var waited = Arrived() - before;
        Assert.True(metrics.Buffered.Value >= 2, $"{metrics.Buffered.Value} events buffered");
        await Task.Delay(window + TimeSpan.FromMilliseconds(500));
        release.SetResult();

        // The waiting batch closes as soon as the held commit is done and the buffer taken. A window
        // counted from when the watcher took its first message would keep it open for 4 s more:
        // the create below, made once it closed or 3 s on, would join it. (A fixed 800 ms pause
        // here, with a window of 2 s, let a loaded machine put the create in the closing batch.)
        await Task.WhenAny(thirdResolved.Task, Task.Delay(TimeSpan.FromSeconds(3)));
        _cluster.Server.Cluster.CreateFile(root, "after the waiting batch");

        await AssertConvergesAsync(client, index, root, watcher: run);
        await stop.CancelAsync();
        Assert.Equal(WatchExit.Stopped, await run);
        lock (commits)
        {
            var batches = commits.Where(c => !c.CatchUp).ToList();
            Assert.True(batches.Count >= 4, $"batches of {string.Join(", ", batches.Select(b => b.Events))} events");
            Assert.Equal((long)waited, batches[2].Events);
        }
    }

    /// <summary>A directory beside the watched one (outside its tree) with files in two levels; returns its path.</summary>
    private string CreateDirectoryOutside(string name, int filesEach)
    {
        var model = _cluster.Server.Cluster;
        model.CreateDirectory("/", name);
        var top = "/" + name + "/";
        foreach (var sub in new[] { "a", "b \"quoted\" %41" })
        {
            model.CreateDirectory(top, sub);
            for (var i = 0; i < filesEach; i++)
            {
                model.CreateFile(top + sub + "/", $"f{i}");
            }
        }

        return top;
    }

    [Fact]
    public async Task A_directory_moved_in_larger_than_a_part_is_committed_in_bounded_parts_then_the_rest()
    {
        using var client = Client();
        var root = PickDirectory();
        var outside = CreateDirectoryOutside("outside big", 150);
        var index = await CrawlAsync(client, root);
        var options = Options(root) with { CrawlPartRows = 100, PageSize = 40 };
        var watcher = new Watcher(client, index, _indexDir, options, new WatchMetrics(), NullLogger.Instance, index);
        var (run, stop, _) = await StartAsync(watcher);

        _cluster.Server.Cluster.Rename(root, "moved in", outside);
        await AssertConvergesAsync(client, index, root, watcher: run);
        Assert.Equal(303, index.Rows.Keys.Count(p => p.StartsWith(root + "moved in/", StringComparison.Ordinal)));
        await stop.CancelAsync();
        Assert.Equal(WatchExit.Stopped, await run);

        // Parts of at most the part's rows and one page, then the batch with the rest.
        var parts = index.CommitLog.Where(c => c.Kind == "batch part").ToList();
        Assert.True(parts.Count >= 2, $"{parts.Count} parts");
        Assert.All(parts, p => Assert.InRange(p.Changes, 1, options.CrawlPartRows + options.PageSize + 1));
    }

    [Theory]
    [InlineData("batch part")]
    [InlineData("catch-up part")]
    public async Task A_watcher_stopped_between_the_parts_of_a_moved_in_directory_settles_it_at_its_next_start(string kind)
    {
        // The first part lands, the second fails (as if the process died), then the directory
        // moves out again: no snapshot difference names it (absent at the baseline and now), so
        // only the journal written before the first part tells the next catch-up to look. Moved
        // in while watching, a batch commits the parts; while stopped, the catch-up at the start.
        using var client = Client();
        var root = PickDirectory();
        var outside = CreateDirectoryOutside("outside big", 150);
        var index = await CrawlAsync(client, root);
        var partsSeen = 0;
        index.BeforeCommit = checkpoint =>
            checkpoint.GetValueOrDefault(WatchCheckpoint.Kind) == kind && Interlocked.Increment(ref partsSeen) == 2
                ? throw new InvalidOperationException("died between two parts")
                : Task.CompletedTask;
        var options = Options(root) with { CrawlPartRows = 100, PageSize = 40 };
        var first = new Watcher(client, index, _indexDir, options, new WatchMetrics(), NullLogger.Instance, index);
        if (kind == "catch-up part")
        {
            _cluster.Server.Cluster.Rename(root, "moved in", outside);
        }

        var run = Task.Run(() => first.RunAsync(CancellationToken.None));
        if (kind == "batch part")
        {
            await WaitForCatchUpAsync(index);
            _cluster.Server.Cluster.Rename(root, "moved in", outside);
        }

        var died = await Assert.ThrowsAsync<InvalidOperationException>(() => run.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("between two parts", died.Message);
        Assert.Contains(index.Rows.Keys, p => p.StartsWith(root + "moved in/", StringComparison.Ordinal));

        index.BeforeCommit = null;
        _cluster.Server.Cluster.Rename("/", "moved out again", root + "moved in/");
        var second = new Watcher(client, index, _indexDir, options, new WatchMetrics(), NullLogger.Instance, index);
        var (again, stop, _) = await StartAsync(second);
        await AssertConvergesAsync(client, index, root, watcher: again);
        Assert.DoesNotContain(index.Rows.Keys, p => p.StartsWith(root + "moved in/", StringComparison.Ordinal));
        await stop.CancelAsync();
        Assert.Equal(WatchExit.Stopped, await again);
    }

    /// <summary>Waits until a catch-up has committed to <paramref name="index"/>.</summary>
    private static async Task WaitForCatchUpAsync(MemoryIndexStore index)
    {
        for (var i = 0; i < 600 && !index.CommitLog.Any(c => c.Kind == "catch-up"); i++)
        {
            await Task.Delay(50);
        }

        Assert.Contains(index.CommitLog, c => c.Kind == "catch-up");
    }

    [Fact]
    public async Task A_catch_up_commits_a_large_directory_created_since_the_baseline_in_parts()
    {
        using var client = Client();
        var root = PickDirectory();
        var outside = CreateDirectoryOutside("outside big", 150);
        var index = await CrawlAsync(client, root);

        // Moved in while nothing watched: the catch-up's snapshot difference names it.
        _cluster.Server.Cluster.Rename(root, "moved in", outside);
        var options = Options(root) with { CrawlPartRows = 100, PageSize = 40 };
        var watcher = new Watcher(client, index, _indexDir, options, new WatchMetrics(), NullLogger.Instance, index);
        var (run, stop, _) = await StartAsync(watcher);
        await AssertConvergesAsync(client, index, root, watcher: run);
        await stop.CancelAsync();
        Assert.Equal(WatchExit.Stopped, await run);

        var log = index.CommitLog.ToList();
        var parts = log.Where(c => c.Kind == "catch-up part").ToList();
        Assert.True(parts.Count >= 2, $"{parts.Count} parts");
        Assert.All(parts, p => Assert.InRange(p.Changes, 1, options.CrawlPartRows + options.PageSize + 1));
        Assert.Equal("catch-up", log.Last(c => c.Kind is "catch-up" or "catch-up part").Kind);
    }

    [Fact]
    public async Task Stopping_while_a_batch_commits_lets_that_commit_land_whole()
    {
        using var client = Client();
        var root = PickDirectory();
        var index = await CrawlAsync(client, root);
        var (entered, release) = HoldFirstBatchCommit(index);
        var watcher = new Watcher(client, index, _indexDir, Options(root), new WatchMetrics(), NullLogger.Instance, index);
        var (run, stop, _) = await StartAsync(watcher);
        var created = _cluster.Server.Cluster.CreateFile(root, "committed while stopping").Path;
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await stop.CancelAsync();
        await Task.Delay(100);
        Assert.False(run.IsCompleted, "the watcher returned while its commit was still under way");
        release.SetResult();
        Assert.Equal(WatchExit.Stopped, await run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(created, index.Rows.Keys);
    }

    [Fact]
    public async Task Dropped_streams_and_expired_tokens_are_caught_up()
    {
        using var client = Client();
        var root = PickDirectory();
        var index = await CrawlAsync(client, root);
        var metrics = new WatchMetrics();
        var watcher = new Watcher(client, index, _indexDir, Options(root), metrics, NullLogger.Instance, index);
        var (run, stop, _) = await StartAsync(watcher);

        var churn = Task.Run(() => new ChurnWorkload(client, new ChurnOptions { Path = root, Ops = 300, Seed = 5, Rate = 300 }).RunAsync(CancellationToken.None));
        await Task.Delay(300);
        await FaultAsync("drop-streams");
        await Task.Delay(300);
        await FaultAsync("expire-tokens");
        await Task.Delay(200);
        await FaultAsync("drop-streams");
        await churn;

        await FaultAsync("drop-streams");
        await AssertConvergesAsync(client, index, root);
        Assert.True(metrics.Reconnects.Value >= 1);
        Assert.True(metrics.CatchUps.WithLabels("diff").Value >= 2);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task An_overflowed_buffer_is_caught_up_and_the_buffered_gauge_returns_to_zero()
    {
        using var client = Client();
        var root = PickDirectory();
        var index = await CrawlAsync(client, root);
        var metrics = new WatchMetrics();
        var watcher = new Watcher(client, index, _indexDir, Options(root) with { BufferCapacity = 40 }, metrics, NullLogger.Instance, index);
        var (run, stop, _) = await StartAsync(watcher);

        // A commit held back stops the watcher taking events: the churn overflows its buffer, the
        // stream is dropped with what it held, and a catch-up brings the changes in instead.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        index.BeforeCommit = async checkpoint =>
        {
            if (checkpoint.GetValueOrDefault(WatchCheckpoint.Kind) == "batch" && held.TrySetResult())
            {
                await release.Task;
            }
        };
        await new ChurnWorkload(client, new ChurnOptions { Path = root, Ops = 3, Seed = 11, Rate = 100 }).RunAsync(CancellationToken.None);
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await new ChurnWorkload(client, new ChurnOptions { Path = root, Ops = 300, Seed = 12, Rate = 600 }).RunAsync(CancellationToken.None);
        release.SetResult();
        for (int i = 0; i < 300 && metrics.CatchUps.WithLabels("diff").Value < 2; i++)
        {
            await Task.Delay(100);
        }

        await AssertConvergesAsync(client, index, root, watcher: run);
        Assert.True(metrics.CatchUps.WithLabels("diff").Value >= 2, "the overflow was caught up");
        Assert.True(metrics.Reconnects.Value >= 1);
        Assert.Equal(0, metrics.Buffered.Value);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Changes_made_while_stopped_are_caught_up_at_the_next_start()
    {
        using var client = Client();
        var root = PickDirectory();
        var index = await CrawlAsync(client, root);
        var first = new Watcher(client, index, _indexDir, Options(root), new WatchMetrics(), NullLogger.Instance, index);
        var (run, stop, _) = await StartAsync(first);
        var transient = _cluster.Server.Cluster.CreateFile(root, "created while watching").Path;
        await AssertConvergesAsync(client, index, root);
        await stop.CancelAsync();
        await run;

        // While stopped: the file the index holds goes again (the net difference from the
        // baseline does not mention it), a tree churns, a directory moves.
        _cluster.Server.Cluster.Delete(transient);
        await new ChurnWorkload(client, new ChurnOptions { Path = root, Ops = 200, Seed = 9 }).RunAsync(CancellationToken.None);

        var second = new Watcher(client, index, _indexDir, Options(root), new WatchMetrics(), NullLogger.Instance, index);
        var (run2, stop2, _) = await StartAsync(second);
        await AssertConvergesAsync(client, index, root);
        Assert.DoesNotContain(transient, index.Rows.Keys);
        await stop2.CancelAsync();
        await run2;

        // Only the baseline snapshot of this index is left on the cluster.
        var snapshots = await client.ListSnapshotsAsync(CancellationToken.None);
        Assert.Single(snapshots, s => s.Name.StartsWith("qindex-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Removing_the_watched_directory_deletes_its_rows_and_stops()
    {
        using var client = Client();
        var root = _cluster.Server.Cluster.CreateDirectory("/", "doomed").Path;
        _cluster.Server.Cluster.CreateFile(root, "a");
        var index = await CrawlAsync(client, root);
        var watcher = new Watcher(client, index, _indexDir, Options(root), new WatchMetrics(), NullLogger.Instance, index);
        var (run, _, _) = await StartAsync(watcher);
        _cluster.Server.Cluster.Delete(root + "a");
        _cluster.Server.Cluster.Delete(root);
        Assert.Equal(WatchExit.RootRemoved, await run.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Empty(index.Rows);
    }

    [Fact]
    public async Task Recursive_watches_served_as_non_recursive_are_refused_unless_allowed()
    {
        using var client = Client();
        var index = await CrawlAsync(client, "/");
        await _cluster.PutRecursiveModeAsync("DISABLED_IGNORE");
        var watcher = new Watcher(client, index, _indexDir, Options("/"), new WatchMetrics(), NullLogger.Instance, index);
        var refused = await Assert.ThrowsAsync<WatchStoppedException>(() => watcher.RunAsync(CancellationToken.None));
        Assert.Contains("--allow-non-recursive", refused.Message, StringComparison.Ordinal);

        await _cluster.PutRecursiveModeAsync("DISABLED_ERROR");
        var error = await Assert.ThrowsAsync<WatchStoppedException>(() => watcher.RunAsync(CancellationToken.None));
        Assert.Contains("DISABLED_ERROR", error.Message, StringComparison.Ordinal);

        await _cluster.PutRecursiveModeAsync("DISABLED_IGNORE");
        var allowed = new Watcher(client, index, _indexDir, Options("/") with { AllowNonRecursive = true }, new WatchMetrics(), NullLogger.Instance, index);
        var (run, stop, _) = await StartAsync(allowed);
        await stop.CancelAsync();
        Assert.Equal(WatchExit.Stopped, await run);
    }
}
