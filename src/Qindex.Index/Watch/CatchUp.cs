using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Qindex.Index.Crawl;
using Qindex.Index.Import;
using Qindex.Index.Records;
using Qindex.Index.Snapshots;
using Qindex.Index.Store;
using Qindex.Index.Verify;
using Qindex.Qumulo;

namespace Qindex.Index.Watch;

/// <summary>How a catch-up brought the index up to date.</summary>
public enum CatchUpMode
{
    /// <summary>changes-since between the baseline snapshot and a new one (plus the paths changed since the baseline).</summary>
    Diff,

    /// <summary>
    /// The cluster was walked again (no baseline snapshot, it had expired, or snapshots are not
    /// permitted) and the walk compared with the index; what differed was applied.
    /// </summary>
    Recrawl,
}

/// <summary>What a catch-up did.</summary>
public sealed record CatchUpResult(CatchUpMode Mode, long Changes, IndexBaseline Baseline, TimeSpan Elapsed);

/// <summary>
/// Brings the index up to a new cluster snapshot: takes the snapshot, applies changes-since from
/// the baseline snapshot (and re-reads every path the watcher changed since that baseline, see
/// <see cref="TouchedPathJournal"/>) in one change set that also records the new snapshot as the
/// baseline, then deletes the superseded one. Where there is no usable baseline snapshot, or the
/// cluster does not permit snapshots, it crawls again instead. The snapshots' whole lifecycle
/// (names <c>qindex-TAG-watch-...</c>, deletion on failure, superseding, leftovers) belongs to
/// <see cref="BaselineSnapshots"/>, the same as for crawl and verify.
/// </summary>
public sealed class CatchUp
{
    /// <summary>The purpose in the names of the snapshots a catch-up takes.</summary>
    public const string SnapshotPurpose = "watch";

    /// <summary>
    /// DuckDB's memory for each side's sort when a walk is compared with the index; past it the
    /// sorts spill to disk. Half of verify's: the watcher's whole process stays within its bound
    /// (docs/decisions/0016-catch-up-by-walk.md).
    /// </summary>
    private const string SortMemoryLimit = "256MB";

    private readonly QumuloClient _client;
    private readonly IIndexStore _store;
    private readonly PlanApplier _applier;
    private readonly TouchedPathJournal _journal;
    private readonly WatchOptions _options;
    private readonly ILogger _logger;
    private readonly BaselineSnapshots _snapshots;

    public CatchUp(QumuloClient client, IIndexStore store, PlanApplier applier, TouchedPathJournal journal, WatchOptions options, BaselineSnapshots snapshots, ILogger logger)
    {
        _client = client;
        _store = store;
        _applier = applier;
        _journal = journal;
        _options = options;
        _logger = logger;
        _snapshots = snapshots;
    }

    /// <summary>
    /// At start: removes this index's snapshots other than the baseline. A newer watch snapshot is
    /// a killed watcher's (taken, never committed) and goes at once; see <see cref="BaselineSnapshots.CleanLeftoversAsync"/>.
    /// A user the cluster does not let read snapshots has none to clean: 0.
    /// </summary>
    public async Task<int> CleanLeftoversAsync(IndexBaseline? baseline, CancellationToken cancellationToken)
    {
        try
        {
            return await _snapshots.CleanLeftoversAsync(baseline, cancellationToken, SnapshotPurpose).ConfigureAwait(false);
        }
        catch (QumuloApiException e) when (e.Status == HttpStatusCode.Forbidden)
        {
            _logger.LogWarning("cannot list snapshots ({Reason}); every catch-up walks the tree and compares it with the index", e.Message);
            return 0;
        }
    }

    /// <summary>Runs one catch-up; <paramref name="checkpoint"/> is recorded with its commit.</summary>
    public async Task<CatchUpResult> RunAsync(IndexBaseline? baseline, IReadOnlyDictionary<string, string> checkpoint, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var root = WatchPaths.AsDirectory(_options.RootPath);
        var rootAttributes = await _client.GetAttributesAsync(root, null, cancellationToken).ConfigureAwait(false);
        var rootId = rootAttributes.GetProperty("id").GetString()!;

        TakenSnapshot? taken;
        try
        {
            taken = await _snapshots.TakeAsync(rootId, SnapshotPurpose, cancellationToken).ConfigureAwait(false);
        }
        catch (QumuloApiException e) when (e.Status == HttpStatusCode.Forbidden)
        {
            _logger.LogWarning("snapshots are not permitted for this user ({Reason}); catching up by walking the tree and comparing it with the index", e.Message);
            taken = null;
        }

        // Until the commit that records it as the baseline, the new snapshot is deleted on any
        // failure or cancellation.
        await using (taken)
        {
            CatchUpResult result;
            if (taken is null || baseline?.ClusterSnapshotId is not { } oldText
                || !long.TryParse(oldText, NumberStyles.None, CultureInfo.InvariantCulture, out var oldId))
            {
                result = await RecrawlAsync(taken, checkpoint, started, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                result = await DiffAsync(taken, oldId, root, checkpoint, started, cancellationToken).ConfigureAwait(false)
                    ?? await RecrawlAsync(taken, checkpoint, started, cancellationToken).ConfigureAwait(false);
            }

            taken?.Keep();
            await _journal.ClearAsync().ConfigureAwait(false);
            await DeleteSupersededAsync(baseline, taken?.Id, cancellationToken).ConfigureAwait(false);
            return result;
        }
    }

    /// <summary>Applies changes-since in one commit; null when the baseline snapshot is gone.</summary>
    private async Task<CatchUpResult?> DiffAsync(TakenSnapshot snapshot, long oldId, string root, IReadOnlyDictionary<string, string> checkpoint, DateTimeOffset started, CancellationToken cancellationToken)
    {
        var plan = new List<SnapshotChange>();
        try
        {
            await foreach (var change in _client.ChangesSinceAsync(snapshot.Id, oldId, 1000, cancellationToken).ConfigureAwait(false))
            {
                plan.Add(change);
            }
        }
        catch (QumuloApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            _logger.LogWarning("the baseline snapshot {Snapshot} is gone ({Reason}); catching up by walking the tree and comparing it with the index", oldId, e.Message);
            return null;
        }

        var touched = await _journal.ReadAsync(cancellationToken).ConfigureAwait(false);
        var watchPlan = BuildPlan(plan, touched, root);
        var newBaseline = new IndexBaseline(_options.ClusterHost, root, snapshot.Id.ToString(CultureInfo.InvariantCulture), DateTimeOffset.UtcNow);
        // A directory created since the baseline is crawled into the catch-up; a large one is
        // committed in parts as it is read, the baseline staying the old one until the last. The
        // journal names each part's paths first, so a catch-up stopped between parts is redone
        // whole by the next one (the difference from the old baseline, and the journal).
        var held = new BufferedChangeSet();
        async Task CommitPartAsync(CancellationToken token)
        {
            var part = held.TakeAll();
            await _journal.AppendAsync(watchPlan, [], token).ConfigureAwait(false);
            var partCheckpoint = new Dictionary<string, string>(checkpoint, StringComparer.Ordinal) { [WatchCheckpoint.Kind] = "catch-up part" };
            await CommitAsync(part, null, partCheckpoint).ConfigureAwait(false);
            _logger.LogInformation("committed part of a catch-up ahead of the rest: {Rows} changes of a directory created since the baseline", part.Count);
        }

        await _applier.ApplyAsync(watchPlan, held, snapshot.Id, cancellationToken, null, CommitPartAsync).ConfigureAwait(false);
        var summary = new Dictionary<string, string>(checkpoint, StringComparer.Ordinal) { [WatchCheckpoint.Kind] = "catch-up" };
        await CommitAsync(held, newBaseline, summary).ConfigureAwait(false);

        return new CatchUpResult(CatchUpMode.Diff, plan.Count + touched.Count, newBaseline, DateTimeOffset.UtcNow - started);
    }

    /// <summary>Commits held changes of a catch-up (once started, whole: not cancellable).</summary>
    private async Task CommitAsync(BufferedChangeSet held, IndexBaseline? baseline, IReadOnlyDictionary<string, string> summary)
    {
        await using var changes = _store.BeginChanges();

        // A snapshot difference names a rename as a DELETE and a CREATE: the log pairs them by id.
        changes.LogRenamesById();
        held.ReplayInto(changes);
        await changes.CommitAsync(baseline, summary, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>After the commit: the baseline it replaced, and older snapshots of this index, go (best effort).</summary>
    private async Task DeleteSupersededAsync(IndexBaseline? previous, long? committed, CancellationToken cancellationToken)
    {
        try
        {
            await _snapshots.DeleteSupersededAsync(previous, committed, cancellationToken).ConfigureAwait(false);
        }
        catch (QumuloApiException e) when (e.Status == HttpStatusCode.Forbidden && previous?.ClusterSnapshotId is null)
        {
            // A user without snapshot privileges took none: nothing of this index's to delete.
            _logger.LogDebug("snapshots not listed ({Reason})", e.Message);
        }
        catch (Exception e) when (e is QumuloApiException or HttpRequestException or IOException)
        {
            _logger.LogWarning("could not delete superseded snapshots: {Reason} (they are removed at the next start)", e.Message);
        }
    }

    /// <summary>
    /// The plan that makes every path in the difference, and every path changed since the baseline,
    /// equal to the new snapshot: deleted directories go with their subtree, created directories
    /// are crawled (the difference lists a created directory, not its contents), everything else
    /// is read again.
    /// </summary>
    public static WatchPlan BuildPlan(IEnumerable<SnapshotChange> changes, IEnumerable<(string Path, bool Subtree)> touched, string root)
    {
        var structural = new List<StructuralStep>();
        var crawl = new List<string>();
        var crawlSet = new HashSet<string>(StringComparer.Ordinal);
        var refresh = new List<string>();
        var refreshSet = new HashSet<string>(StringComparer.Ordinal);
        void Crawl(string directory)
        {
            if (crawlSet.Add(directory))
            {
                crawl.Add(directory);
            }
        }

        void Refresh(string path)
        {
            if (refreshSet.Add(path))
            {
                refresh.Add(path);
            }
        }

        foreach (var change in changes)
        {
            var isDirectory = change.Path.EndsWith('/');
            switch (change.Op)
            {
                case "DELETE":
                    structural.Add(new StructuralStep(isDirectory ? StructuralKind.DeleteSubtree : StructuralKind.Delete, change.Path));
                    break;
                case "CREATE" when isDirectory:
                    Crawl(change.Path);
                    break;
                default:
                    Refresh(change.Path);
                    break;
            }

            if (change.Op != "MODIFY" && WatchPaths.Parent(change.Path) is { } parent && parent.StartsWith(root, StringComparison.Ordinal))
            {
                Refresh(parent);
            }
        }

        foreach (var (path, subtree) in touched)
        {
            if (subtree)
            {
                Crawl(WatchPaths.AsDirectory(path));
            }
            else
            {
                Refresh(path);
            }
        }

        Refresh(root);
        return new WatchPlan(structural, crawl, refresh, false);
    }

    /// <summary>
    /// Catches up without a snapshot difference. An empty index is crawled into directly. Otherwise
    /// the cluster is walked into a scratch index and compared with this one (as <c>qindex verify</c>
    /// does); the rows that differ are applied as one change set, so unchanged rows keep their files
    /// and ingest times and the <c>changes</c> table logs what changed during the gap (renames paired
    /// by file id). Past <see cref="WatchOptions.RecrawlChangeLimit"/> differing rows the walk
    /// replaces the table instead.
    /// </summary>
    private async Task<CatchUpResult> RecrawlAsync(TakenSnapshot? snapshot, IReadOnlyDictionary<string, string> checkpoint, DateTimeOffset started, CancellationToken cancellationToken)
    {
        var root = WatchPaths.AsDirectory(_options.RootPath);
        var before = await _store.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        if (before.Rows == 0)
        {
            var crawled = await CrawlAsync(snapshot, _store, cancellationToken).ConfigureAwait(false);
            var status = await _store.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            return new CatchUpResult(
                CatchUpMode.Recrawl,
                crawled.Objects,
                status.Baseline ?? new IndexBaseline(_options.ClusterHost, root, snapshot?.Id.ToString(CultureInfo.InvariantCulture), DateTimeOffset.UtcNow),
                DateTimeOffset.UtcNow - started);
        }

        var work = Directory.CreateTempSubdirectory("qindex-catch-up-").FullName;
        try
        {
            await using var walked = await IndexStoreFactory.OpenAsync(new IndexLocation(Path.Combine(work, "walk")), cancellationToken).ConfigureAwait(false);
            await CrawlAsync(snapshot, walked, cancellationToken).ConfigureAwait(false);
            var differences = new WalkDifferences();
            var ignored = new HashSet<string>(StringComparer.Ordinal) { "ingest_ts" };
            await IndexComparison.RunAsync(walked, _store, root, ignored, work, SortMemoryLimit, differences, cancellationToken, byHash: true).ConfigureAwait(false);

            var newBaseline = new IndexBaseline(_options.ClusterHost, root, snapshot?.Id.ToString(CultureInfo.InvariantCulture), DateTimeOffset.UtcNow);
            var summary = new Dictionary<string, string>(checkpoint, StringComparer.Ordinal) { [WatchCheckpoint.Kind] = "catch-up" };
            if (differences.Count > _options.RecrawlChangeLimit)
            {
                _logger.LogWarning(
                    "the walk differs from the index in {Count} rows, more than {Limit}: replacing the table with the walk (the changes table does not list these rows)",
                    differences.Count, _options.RecrawlChangeLimit);
                await using var writer = _store.BeginReplace();
                foreach (var (key, value) in summary)
                {
                    writer.AddSummaryProperty(key, value);
                }

                await ReadWalkAsync(walked, record => writer.AddAsync(record, cancellationToken), cancellationToken).ConfigureAwait(false);
                // As a batch's commit: once the rows are written, a stop lets the commit land.
                await writer.CommitAsync(newBaseline, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                // Committed even when nothing differs: the commit records the new baseline and when the index was last known equal.
                await using var changes = _store.BeginChanges();
                changes.LogRenamesById();
                foreach (var path in differences.Extra)
                {
                    changes.Delete(path);
                }

                foreach (var record in await ReadWalkRowsAsync(walked, differences.Written, cancellationToken).ConfigureAwait(false))
                {
                    changes.Upsert(record);
                }

                await changes.CommitAsync(newBaseline, summary, CancellationToken.None).ConfigureAwait(false);
            }

            return new CatchUpResult(CatchUpMode.Recrawl, differences.Count, newBaseline, DateTimeOffset.UtcNow - started);
        }
        finally
        {
            TryDelete(work);
        }
    }

    private async Task<CrawlResult> CrawlAsync(TakenSnapshot? snapshot, IIndexStore into, CancellationToken cancellationToken)
    {
        var crawler = new Crawler(_client);
        var result = await crawler.RunAsync(
            new CrawlOptions
            {
                ClusterHost = _options.ClusterHost,
                RootPath = _options.RootPath,
                SnapshotMode = snapshot is null ? CrawlSnapshotMode.None : CrawlSnapshotMode.Existing,
                SnapshotId = snapshot?.Id,
                Concurrency = Math.Max(1, _options.ResolveConcurrency / 2),
                PageSize = _options.PageSize,
            },
            into,
            null,
            cancellationToken).ConfigureAwait(false);
        CrawlMemory.Release();
        return result;
    }

    /// <summary>
    /// The walk's records at the paths in <paramref name="wanted"/>: each file's paths are read, and
    /// only the rows found among them are decoded (a catch-up after a short gap wants a few hundred
    /// rows of millions). Paths are matched by their keys, then by the path itself.
    /// </summary>
    private static async Task<List<FileRecord>> ReadWalkRowsAsync(IIndexStore walked, IReadOnlySet<string> wanted, CancellationToken cancellationToken)
    {
        var found = new List<FileRecord>(wanted.Count);
        if (wanted.Count == 0)
        {
            return found;
        }

        var keys = wanted.Select(PathKeyIndex.KeyOf).ToHashSet();
        var scan = await walked.ScanAsync(cancellationToken).ConfigureAwait(false);
        foreach (var file in scan.DataFiles)
        {
            var (utf8, ends) = DataFileRows.ReadPathsUtf8(file);
            var positions = new List<int>();
            for (int p = 0, start = 0; p < ends.Length; start = ends[p], p++)
            {
                if (keys.Contains(PathKeyIndex.KeyOf(utf8.AsSpan(start, ends[p] - start))))
                {
                    positions.Add(p);
                }
            }

            foreach (var (columns, count) in IndexParquetReader.ReadColumnsAt(file, positions, cancellationToken))
            {
                found.AddRange(FileRecordColumns.FromColumns(columns, count).Where(r => wanted.Contains(r.Path)));
            }
        }

        return found;
    }

    /// <summary>Hands each record of the walk to <paramref name="onRecord"/>.</summary>
    private static async Task ReadWalkAsync(IIndexStore walked, Func<FileRecord, ValueTask> onRecord, CancellationToken cancellationToken)
    {
        var scan = await walked.ScanAsync(cancellationToken).ConfigureAwait(false);
        foreach (var file in scan.DataFiles)
        {
            await IndexParquetReader.ReadAsync(
                file,
                null,
                async batch =>
                {
                    foreach (var record in batch)
                    {
                        await onRecord(record).ConfigureAwait(false);
                    }
                },
                bad => throw new InvalidDataException($"the catch-up's own walk has a row without a path ({bad})"),
                cancellationToken).ConfigureAwait(false);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A scratch directory under the temporary directory; what was committed does not depend on removing it.
        }
    }

    /// <summary>The paths a walk differs from the index by: rows to delete, and rows to write from the walk.</summary>
    private sealed class WalkDifferences : IRowDifferences
    {
        public List<string> Extra { get; } = [];

        public HashSet<string> Written { get; } = new(StringComparer.Ordinal);

        public long Count => Extra.Count + Written.Count;

        void IRowDifferences.Missing(string path) => Written.Add(path);

        void IRowDifferences.Extra(string path) => Extra.Add(path);

        void IRowDifferences.Different(string path, IReadOnlyList<ColumnDifference> columns) => Written.Add(path);
    }
}
