using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Prometheus;
using Qindex.Index.Snapshots;
using Qindex.Index.Store;
using Qindex.Qumulo;

namespace Qindex.Index.Watch;

/// <summary>Why <see cref="Watcher.RunAsync"/> returned.</summary>
public enum WatchExit
{
    /// <summary>Cancelled (Ctrl-C, SIGTERM): the open batch was abandoned or finished, nothing half-done.</summary>
    Stopped,

    /// <summary>The watched directory was removed; its subtree was deleted from the index.</summary>
    RootRemoved,
}

/// <summary>
/// Keeps the index equal to the cluster: stream -> normalize -> coalesce -> resolve -> apply ->
/// checkpoint, one commit per window. At every start and every reconnect it opens the stream
/// first (buffering), then catches up from the baseline snapshot, then drains the buffer
/// (applying is idempotent). A stream that closes, fails or goes silent is reopened with
/// backoff and jitter; 403, recursive watches disabled, and the watched root's removal stop it
/// with a clear message.
/// </summary>
public sealed class Watcher
{
    private readonly QumuloClient _client;
    private readonly IIndexStore _store;
    private readonly WatchOptions _options;
    private readonly WatchMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TouchedPathJournal _journal;
    private readonly PlanApplier _applier;
    private readonly HardLinkMap _links = new();
    private readonly IHardLinkSource _linkSource;
    private readonly string _root;
    private IndexBaseline? _baseline;
    private DateTimeOffset _baselineAt = DateTimeOffset.MinValue;
    private DateTimeOffset _maintainedAt = DateTimeOffset.UtcNow;
    private long _replayUntil;
    private Task? _committing;

    /// <param name="client">The cluster.</param>
    /// <param name="store">The index.</param>
    /// <param name="indexDirectory">The local index directory (holds the touched-path journal).</param>
    /// <param name="options">What to watch and how.</param>
    /// <param name="metrics">Where counts go.</param>
    /// <param name="logger">Where messages go.</param>
    /// <param name="linkSource">Where hard links are looked up (default: a query of the index).</param>
    public Watcher(QumuloClient client, IIndexStore store, string indexDirectory, WatchOptions options, WatchMetrics metrics, ILogger logger, IHardLinkSource? linkSource = null)
    {
        _client = client;
        _store = store;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _root = WatchPaths.AsDirectory(options.RootPath);
        _journal = new TouchedPathJournal(indexDirectory);
        _linkSource = linkSource ?? new IndexHardLinkSource(store);
        _applier = new PlanApplier(client, options, _links, _linkSource);
    }

    /// <summary>Called after every committed batch or catch-up (for the command line's live counts and for tests).</summary>
    public event Action<WatchCommitted>? Committed;

    /// <summary>Called when a batch has been read from the cluster, before it waits for the commit of the one before it (tests).</summary>
    internal event Action<long>? BatchResolved;

    /// <summary>
    /// Optional compaction, run after every committed batch; it should return at once when none is
    /// due, so data and delete files stay within the compaction threshold however fast batches come.
    /// </summary>
    public Func<CancellationToken, Task>? Compaction { get; init; }

    /// <summary>Optional maintenance (compaction, snapshot expiry) run between batches every <see cref="WatchOptions.MaintenanceInterval"/>.</summary>
    public Func<CancellationToken, Task>? Maintenance { get; init; }

    /// <summary>Watches until cancelled or the root is removed.</summary>
    public async Task<WatchExit> RunAsync(CancellationToken cancellationToken)
    {
        await CheckRecursiveModeAsync(cancellationToken).ConfigureAwait(false);
        var status = await _store.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        _baseline = status.Baseline;
        if (_baseline is { } b && WatchPaths.AsDirectory(b.RootPath) != _root)
        {
            throw new WatchStoppedException($"the index holds {b.RootPath}, not {_root}: watch the path it was crawled from, or use another --index");
        }

        var catchUp = new CatchUp(_client, _store, _applier, _journal, _options, BaselineSnapshots.For(_client, _store, _logger), _logger);
        var removed = await catchUp.CleanLeftoversAsync(_baseline, cancellationToken).ConfigureAwait(false);
        if (removed > 0)
        {
            _logger.LogInformation("removed {Count} leftover qindex snapshot(s) from an earlier run", removed);
        }

        var delay = _options.ReconnectDelay;
        var first = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!first)
            {
                _metrics.Reconnects.Inc();
                var wait = delay * (0.5 + Random.Shared.NextDouble());
                _logger.LogInformation("reconnecting in {Delay:F1} s", wait.TotalSeconds);
                try
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return WatchExit.Stopped;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
            }

            first = false;
            await using var session = new NotifySession(
                _client, _root, _options.Filter, _options.KeepAliveTimeout, _options.BufferCapacity,
                delta => _metrics.Buffered.Inc(delta), cancellationToken);
            try
            {
                await session.Registered.WaitAsync(cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("notify stream open on {Root}; catching up", _root);
                await RunCatchUpAsync(catchUp, cancellationToken).ConfigureAwait(false);
                delay = _options.ReconnectDelay;
                var exit = await FollowAsync(session, catchUp, cancellationToken).ConfigureAwait(false);
                if (exit is { } done)
                {
                    return done;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return WatchExit.Stopped;
            }
            catch (Exception e) when (IsFatal(e, out var message))
            {
                throw new WatchStoppedException(message, e);
            }
            catch (NotifyPayloadException e)
            {
                _metrics.MalformedPayloads.Inc();
                _logger.LogError("{Reason}; reconnecting and catching up so nothing is lost", e.Message);
            }
            catch (Exception e) when (IsTransient(e))
            {
                _logger.LogWarning("notify stream ended: {Reason}", Describe(e));
            }
        }

        return WatchExit.Stopped;
    }

    /// <summary>
    /// Follows the stream. A batch is read from the cluster while the batch before it commits
    /// (the two overlap; commits stay one at a time and in order), so a batch costs the longer of
    /// the two, not their sum.
    /// </summary>
    private async Task<WatchExit?> FollowAsync(NotifySession session, CatchUp catchUp, CancellationToken cancellationToken)
    {
        try
        {
            return await FollowBatchesAsync(session, catchUp, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Whatever ended the loop, the commit under way lands or fails whole before the
            // watcher reconnects or returns; its failure is logged, the loop's reason goes on.
            try
            {
                await SettleAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError("the last batch could not be committed ({Reason}); the catch-up brings its changes in", e.Message);
            }
            catch (OperationCanceledException)
            {
                // Cancelled before its commit started: abandoned whole.
            }
        }
    }

    /// <summary>Waits for the commit under way (if any); its error, if it failed, is thrown here.</summary>
    private async Task SettleAsync()
    {
        if (_committing is { } committing)
        {
            _committing = null;
            await committing.ConfigureAwait(false);
        }
    }

    private async Task<WatchExit?> FollowBatchesAsync(NotifySession session, CatchUp catchUp, CancellationToken cancellationToken)
    {
        var coalescer = new EventCoalescer(_root);
        var reader = session.Reader;
        while (true)
        {
            if (_options.BaselineInterval is { } interval && DateTimeOffset.UtcNow - _baselineAt > interval)
            {
                await SettleAsync().ConfigureAwait(false);
                await RunCatchUpAsync(catchUp, cancellationToken).ConfigureAwait(false);
            }

            if (Maintenance is { } maintain && _options.MaintenanceInterval is { } every && DateTimeOffset.UtcNow - _maintainedAt > every)
            {
                _maintainedAt = DateTimeOffset.UtcNow;
                await SettleAsync().ConfigureAwait(false);
                await maintain(cancellationToken).ConfigureAwait(false);
            }

            // Wait for the first event of a window (the stream ending surfaces here as its error).
            var firstPayload = await ReadOrTimeoutAsync(reader, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            if (firstPayload is null)
            {
                continue;
            }

            // Only when each message arrived and how many events it held are kept for the batch's
            // lag: the notifications themselves are done with once coalesced, so a burst's
            // hundreds of thousands of them die young rather than live in the oldest generation
            // until the commit.
            var arrivals = new List<Arrival> { Arrival.Of(firstPayload) };
            Add(coalescer, session, firstPayload);

            // The window runs from when its first message arrived, not from when the watcher got
            // to it: a message that waited in the buffer while the batch before was read has
            // spent that time of its window already, and a batch of messages that all waited
            // longer than the window closes as soon as the buffer is empty.
            var windowEnds = firstPayload.ReceivedTimestamp + (long)(_options.BatchWindow.TotalSeconds * Stopwatch.Frequency);
            Exception? ended = null;
            try
            {
                while (coalescer.EventCount < _options.MaxBatch)
                {
                    var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), windowEnds);
                    if (left <= TimeSpan.Zero)
                    {
                        // Behind the stream, what already waits joins the batch up to its
                        // maximum: a batch's commit has a cost that does not grow with its events
                        // (the rows its directory moves rewrite), so a watcher behind catches up
                        // with fewer, larger batches instead of windows cut by the clock.
                        if (reader.TryRead(out var waiting))
                        {
                            arrivals.Add(Arrival.Of(waiting));
                            Add(coalescer, session, waiting);
                            continue;
                        }

                        if (!coalescer.HasDanglingMove)
                        {
                            break;
                        }

                        // A moved_from at the end of a window: give its moved_to a moment to arrive.
                        left = TimeSpan.FromMilliseconds(500);
                        windowEnds = Stopwatch.GetTimestamp() + (long)(left.TotalSeconds * Stopwatch.Frequency);
                        var next = await ReadOrTimeoutAsync(reader, left, cancellationToken).ConfigureAwait(false);
                        if (next is null)
                        {
                            break;
                        }

                        arrivals.Add(Arrival.Of(next));
                        Add(coalescer, session, next);
                        continue;
                    }

                    var payload = await ReadOrTimeoutAsync(reader, left, cancellationToken).ConfigureAwait(false);
                    if (payload is null)
                    {
                        break;
                    }

                    arrivals.Add(Arrival.Of(payload));
                    Add(coalescer, session, payload);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The stream ended mid-window: apply what arrived, then reconnect.
                ended = e;
            }

            coalescer.FlushDanglingMove();
            var counts = coalescer.Counts.ToDictionary(StringComparer.Ordinal);
            var unknown = coalescer.UnknownEvents;
            var events = coalescer.EventCount;
            var plan = coalescer.Build();
            if (unknown > 0)
            {
                _metrics.UnknownEvents.Inc(unknown);
                _logger.LogWarning("{Count} event(s) of unknown type in this batch ({Types}); their paths were refreshed", unknown, string.Join(", ", counts.Keys.Where(k => !Notification.KnownTypes.Contains(k))));
            }

            var batch = await ResolveBatchAsync(plan, arrivals, counts, events, cancellationToken).ConfigureAwait(false);
            BatchResolved?.Invoke(events);

            // The previous batch commits first; then this one starts committing and the loop goes
            // on to the next window while it does.
            await SettleAsync().ConfigureAwait(false);
            _committing = Task.Run(() => CommitBatchAsync(batch, cancellationToken), CancellationToken.None);
            if (plan.SelfRemoved)
            {
                await SettleAsync().ConfigureAwait(false);
                return WatchExit.RootRemoved;
            }

            if (ended is not null)
            {
                await SettleAsync().ConfigureAwait(false);
                throw ended;
            }
        }
    }

    private void Add(EventCoalescer coalescer, NotifySession session, StreamPayload payload)
    {
        session.Taken(payload.Events.Count);
        foreach (var notification in payload.Events)
        {
            _metrics.EventsReceived.WithLabels(notification.Type).Inc();
            coalescer.Add(notification, payload.ReceivedTimestamp <= _replayUntil);
        }
    }

    private static async Task<StreamPayload?> ReadOrTimeoutAsync(ChannelReader<StreamPayload> reader, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (reader.TryRead(out var ready))
        {
            return ready;
        }

        using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        window.CancelAfter(timeout);
        try
        {
            if (await reader.WaitToReadAsync(window.Token).ConfigureAwait(false))
            {
                return reader.TryRead(out var item) ? item : null;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        // Completed without error cannot happen (the session always completes with a reason).
        throw new WatchStreamEndedException("the notify stream ended");
    }

    /// <summary>Reads a batch from the cluster into a buffer (cancellable: nothing is committed here).</summary>
    private async Task<ResolvedBatch> ResolveBatchAsync(WatchPlan plan, List<Arrival> arrivals, Dictionary<string, long> counts, long events, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var changes = new BufferedChangeSet();
        var parts = 0;

        // A directory moved in is crawled into the batch; a large one is committed in parts as it
        // is read, each after the commit before it, the rest of the batch after the last.
        async Task CommitPartAsync(CancellationToken token)
        {
            await SettleAsync().ConfigureAwait(false);
            var part = changes.TakeAll();
            await using var set = new RecordingChangeSet(_store.BeginChanges());
            part.ReplayInto(set);
            await _journal.AppendAsync(plan, set.Written, token).ConfigureAwait(false);
            var checkpoint = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [WatchCheckpoint.Kind] = "batch part",
                [WatchCheckpoint.LastApplied] = WatchCheckpoint.Time(DateTimeOffset.UtcNow),
                [WatchCheckpoint.Root] = _root,
            };
            await set.CommitAsync(null, checkpoint, CancellationToken.None).ConfigureAwait(false);
            parts++;
            _logger.LogInformation("committed part {Part} of a batch ahead of the rest: {Rows} changes of a directory moved into the tree", parts, part.Count);

            // A directory of millions of files is a hundred parts: their files are compacted as
            // the batches' are, not left for after the last.
            if (Compaction is { } compact)
            {
                await compact(token).ConfigureAwait(false);
            }
        }

        var stats = await _applier.ApplyAsync(plan, changes, null, cancellationToken, SettleAsync, CommitPartAsync).ConfigureAwait(false);
        return new ResolvedBatch(plan, changes, stats, arrivals, counts, events, started, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Journals and commits a resolved batch; once the commit starts it finishes, so Ctrl-C never leaves half a batch.</summary>
    private async Task CommitBatchAsync(ResolvedBatch batch, CancellationToken cancellationToken)
    {
        var (plan, buffered, stats, arrivals, counts, events, started, resolved) = batch;
        IndexCommitResult result;
        await using (var changes = new RecordingChangeSet(_store.BeginChanges()))
        {
            buffered.ReplayInto(changes);
            await _journal.AppendAsync(plan, changes.Written, cancellationToken).ConfigureAwait(false);
            var newest = arrivals[^1].ReceivedAt;
            var lag = Stopwatch.GetElapsedTime(arrivals[0].ReceivedTimestamp);
            var checkpoint = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [WatchCheckpoint.Kind] = plan.SelfRemoved ? "self-removed" : "batch",
                [WatchCheckpoint.LastApplied] = WatchCheckpoint.Time(DateTimeOffset.UtcNow),
                [WatchCheckpoint.LastEventReceived] = WatchCheckpoint.Time(newest),
                [WatchCheckpoint.LagMilliseconds] = ((long)lag.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                [WatchCheckpoint.Events] = events.ToString(CultureInfo.InvariantCulture),
                [WatchCheckpoint.Root] = _root,
            };
            result = await changes.CommitAsync(_baseline, checkpoint, CancellationToken.None).ConfigureAwait(false);
        }

        var now = Stopwatch.GetTimestamp();
        foreach (var arrival in arrivals)
        {
            _metrics.VisibleLagSeconds.Observe(Stopwatch.GetElapsedTime(arrival.ReceivedTimestamp, now).TotalSeconds, arrival.Events);
        }

        foreach (var (type, count) in counts)
        {
            _metrics.EventsApplied.WithLabels(type).Inc(count);
        }

        _metrics.BatchSize.Observe(events);
        _metrics.CommitSeconds.Observe(Stopwatch.GetElapsedTime(started, now).TotalSeconds);
        _metrics.LastApplied.SetToCurrentTimeUtc();
        _metrics.RowsUpserted.Inc(stats.Upserts);
        _metrics.RowsDeleted.Inc(stats.Deletes);
        _metrics.Requests.WithLabels("attributes").Inc(stats.AttributeRequests);
        _metrics.Requests.WithLabels("listing").Inc(stats.Listings);
        var lags = arrivals.Select(a => (Stopwatch.GetElapsedTime(a.ReceivedTimestamp, now), a.Events)).ToList();
        Committed?.Invoke(new WatchCommitted(false, events, stats, result, Stopwatch.GetElapsedTime(started, now), lags) { Resolve = resolved });
        _logger.LogDebug(
            "batch of {Events} events committed: {Upserts} upserts, {Deletes} deletes, snapshot {Snapshot}; resolve {ResolveMs:F0} ms, journal and commit {CommitMs:F0} ms",
            events, stats.Upserts, stats.Deletes, result.SnapshotId, resolved.TotalMilliseconds, (Stopwatch.GetElapsedTime(started, now) - resolved).TotalMilliseconds);
        if (plan.SelfRemoved)
        {
            _logger.LogError("the watched directory {Root} was removed from the cluster; its rows were deleted from the index and the watcher stops", _root);
        }
        else if (Compaction is { } compact)
        {
            await compact(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunCatchUpAsync(CatchUp catchUp, CancellationToken cancellationToken)
    {
        var checkpoint = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [WatchCheckpoint.LastApplied] = WatchCheckpoint.Time(DateTimeOffset.UtcNow),
            [WatchCheckpoint.Root] = _root,
        };
        var result = await catchUp.RunAsync(_baseline, checkpoint, cancellationToken).ConfigureAwait(false);
        _baseline = result.Baseline;

        // Events buffered while the catch-up ran may already be in what it applied.
        _replayUntil = Stopwatch.GetTimestamp();
        _links.Reset(await _linkSource.LinkedAsync(cancellationToken).ConfigureAwait(false));
        _baselineAt = DateTimeOffset.UtcNow;
        _metrics.CatchUps.WithLabels(result.Mode == CatchUpMode.Diff ? "diff" : "recrawl").Inc();
        _metrics.LastApplied.SetToCurrentTimeUtc();
        Committed?.Invoke(new WatchCommitted(true, result.Changes, new ApplyStats(0, 0, 0, 0), new IndexCommitResult(0, 0, 0), result.Elapsed, []));
        _logger.LogInformation(
            "caught up by {Mode} ({Changes} changes) in {Seconds:F1} s; baseline snapshot {Snapshot}",
            result.Mode == CatchUpMode.Diff ? "changes-since" : "a walk of the tree", result.Changes, result.Elapsed.TotalSeconds, result.Baseline.ClusterSnapshotId ?? "(none)");
    }

    private async Task CheckRecursiveModeAsync(CancellationToken cancellationToken)
    {
        string mode;
        try
        {
            mode = await _client.GetNotifyRecursiveModeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (QumuloApiException e) when (e.Status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            _logger.LogWarning("cannot read the cluster's notify settings ({Reason}); assuming recursive watches work", e.Message);
            return;
        }

        switch (mode)
        {
            case "DISABLED_ERROR":
                throw new WatchStoppedException("the cluster has recursive change notification disabled (recursive_mode DISABLED_ERROR): an administrator must enable it (PUT /v1/file-system/settings/notify) before qindex can watch a tree");
            case "DISABLED_IGNORE" when !_options.AllowNonRecursive:
                throw new WatchStoppedException("the cluster serves recursive watches as non-recursive (recursive_mode DISABLED_IGNORE): qindex would silently miss every change below the first level. Enable recursive notification on the cluster, or pass --allow-non-recursive to watch anyway (deeper changes then reach the index only at each baseline catch-up)");
            case "DISABLED_IGNORE":
                _logger.LogWarning("recursive_mode is DISABLED_IGNORE and --allow-non-recursive was given: changes below the first level reach the index only at baseline catch-ups");
                break;
        }
    }

    private static bool IsFatal(Exception e, out string message)
    {
        switch (e)
        {
            case QumuloApiException { Status: HttpStatusCode.Forbidden } forbidden:
                message = $"the cluster refused the watch ({forbidden.Message}): a recursive watch needs the DATA_ADMINISTRATOR privilege";
                return true;
            case QumuloApiException { ErrorClass: "fs_recursive_notify_disabled_error" } disabled:
                message = $"the cluster has recursive change notification disabled ({disabled.Message})";
                return true;
            case QumuloApiException { Status: HttpStatusCode.Unauthorized } unauthorized:
                message = $"the cluster rejected the credentials ({unauthorized.Message})";
                return true;
            case QumuloApiException { Status: HttpStatusCode.NotFound } missing when missing.Message.Contains("notify", StringComparison.Ordinal) || missing.Message.Contains("attributes", StringComparison.Ordinal):
                message = $"the watched directory is not on the cluster ({missing.Message})";
                return true;
            default:
                message = string.Empty;
                return false;
        }
    }

    private static bool IsTransient(Exception e) =>
        e is WatchStreamEndedException or HttpRequestException or IOException or QumuloApiException or TimeoutException
        || (e is OperationCanceledException);

    private static string Describe(Exception e) => e switch
    {
        HttpRequestException h => $"connection failed ({h.Message})",
        _ => e.Message,
    };
}

/// <summary>One committed batch or catch-up, reported to observers.</summary>
/// <param name="CatchUp">True for a catch-up commit.</param>
/// <param name="Events">Events in the batch (changes, for a catch-up).</param>
/// <param name="Stats">How the batch was resolved.</param>
/// <param name="Result">What the commit wrote.</param>
/// <param name="Elapsed">From the end of the window to the commit.</param>
/// <param name="Lags">Per payload: time from receipt to visibility, and its event count.</param>
public sealed record WatchCommitted(bool CatchUp, long Events, ApplyStats Stats, IndexCommitResult Result, TimeSpan Elapsed, IReadOnlyList<(TimeSpan Lag, int Events)> Lags)
{
    /// <summary>Of <see cref="Elapsed"/>, the time spent resolving the batch against the cluster (the rest is journal and commit).</summary>
    public TimeSpan Resolve { get; init; }
}

/// <summary>A batch read from the cluster, waiting for its commit.</summary>
internal sealed record ResolvedBatch(
    WatchPlan Plan, BufferedChangeSet Changes, ApplyStats Stats, List<Arrival> Arrivals, Dictionary<string, long> Counts, long Events, long Started, TimeSpan Resolve);

/// <summary>When one message of a batch arrived, and how many events it held.</summary>
internal readonly record struct Arrival(long ReceivedTimestamp, DateTimeOffset ReceivedAt, int Events)
{
    public static Arrival Of(StreamPayload payload) => new(payload.ReceivedTimestamp, payload.ReceivedAt, payload.Events.Count);
}
