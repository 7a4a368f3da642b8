using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Qindex.Index.Records;
using Qindex.Index.Snapshots;
using Qindex.Index.Store;
using Qindex.Qumulo;

namespace Qindex.Index.Crawl;

/// <summary>Which cluster snapshot a crawl reads from.</summary>
public enum CrawlSnapshotMode
{
    /// <summary>Take a snapshot of the root, crawl it, keep it as the index's baseline.</summary>
    Auto,

    /// <summary>Crawl the live tree (no point-in-time consistency, no baseline snapshot).</summary>
    None,

    /// <summary>Crawl an existing snapshot given by id.</summary>
    Existing,
}

/// <summary>What to crawl and how hard.</summary>
public sealed record CrawlOptions
{
    public required string ClusterHost { get; init; }
    public required string RootPath { get; init; }
    public CrawlSnapshotMode SnapshotMode { get; init; } = CrawlSnapshotMode.Auto;
    public long? SnapshotId { get; init; }

    /// <summary>Directories listed at once.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Entries per listing page (1,000 is what clusters usually serve).</summary>
    public int PageSize { get; init; } = 1000;
}

/// <summary>A progress report: objects written so far, directories still to list, the estimate from aggregates.</summary>
public sealed record CrawlProgress(long Objects, long DirectoriesDone, long DirectoriesPending, double ObjectsPerSecond, long? EstimatedTotal);

/// <summary>
/// The outcome of a committed crawl. <paramref name="Vanished"/> counts directories a live crawl
/// (no snapshot) found gone when it came to list them; always 0 from a snapshot.
/// </summary>
public sealed record CrawlResult(long Objects, long Directories, long? SnapshotId, TimeSpan Elapsed, long Vanished = 0)
{
    /// <summary>Snapshots of this index deleted as superseded or left over.</summary>
    public int SnapshotsDeleted { get; init; }

    /// <summary>Why a snapshot cleanup failed (the crawl itself succeeded), or null.</summary>
    public string? SnapshotCleanupFailure { get; init; }
}

/// <summary>
/// Crawls a directory tree breadth-first with bounded concurrency into a new picture of the
/// index. Each worker streams one directory's pages; directories found are queued by id; every
/// object goes through <see cref="FileRecordParser"/> and one writer task. The index changes
/// only when the whole crawl succeeds: any failure or cancellation leaves it as it was.
/// </summary>
public sealed class Crawler
{
    private const string DirectoryType = "FS_FILE_TYPE_DIRECTORY";
    private readonly QumuloClient _client;

    public Crawler(QumuloClient client) => _client = client;

    public async Task<CrawlResult> RunAsync(CrawlOptions options, IIndexStore store, IProgress<CrawlProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        if (options.Concurrency < 1 || options.PageSize < 1)
        {
            throw new ArgumentException("Concurrency and page size must be at least 1.", nameof(options));
        }

        var rootPath = options.RootPath.EndsWith('/') ? options.RootPath : options.RootPath + "/";
        var stopwatch = Stopwatch.StartNew();
        var live = await _client.GetAttributesAsync(rootPath, null, cancellationToken).ConfigureAwait(false);
        if (live.GetProperty("type").GetString() != DirectoryType)
        {
            throw new InvalidOperationException($"{rootPath} is not a directory.");
        }

        var rootId = live.GetProperty("id").GetString()!;
        var snapshots = BaselineSnapshots.For(_client, store);
        var previous = (await store.GetStatusAsync(cancellationToken).ConfigureAwait(false)).Baseline;
        var cleanupFailures = new List<string>();
        var deleted = 0;
        if (options.SnapshotMode == CrawlSnapshotMode.Auto)
        {
            // A crash (kill -9, power loss) may have left this index's snapshots behind.
            deleted += await BestEffortAsync(() => snapshots.CleanLeftoversAsync(previous, cancellationToken), cleanupFailures).ConfigureAwait(false);
        }

        // A snapshot this crawl takes is deleted if the crawl fails or is cancelled before its
        // commit makes it the baseline (if the cluster cannot be reached to remove it, the crawl's
        // own error matters more, and the next start removes it).
        await using var taken = options.SnapshotMode == CrawlSnapshotMode.Auto
            ? await snapshots.TakeAsync(rootId, "crawl", cancellationToken).ConfigureAwait(false)
            : null;
        long? snapshotId = options.SnapshotMode switch
        {
            CrawlSnapshotMode.None => null,
            CrawlSnapshotMode.Existing => options.SnapshotId ?? throw new ArgumentException("An existing snapshot needs its id.", nameof(options)),
            _ => taken!.Id,
        };

        var result = await CrawlAsync(rootPath, rootId, snapshotId, options, store, progress, stopwatch, cancellationToken).ConfigureAwait(false);
        taken?.Keep();

        // Committed: the baseline it replaced, and any older snapshot of this index, are no longer needed.
        if (options.SnapshotMode == CrawlSnapshotMode.Auto || previous?.ClusterSnapshotId is not null)
        {
            deleted += await BestEffortAsync(() => snapshots.DeleteSupersededAsync(previous, snapshotId, cancellationToken), cleanupFailures).ConfigureAwait(false);
        }

        return result with { SnapshotsDeleted = deleted, SnapshotCleanupFailure = cleanupFailures.FirstOrDefault() };
    }

    /// <summary>
    /// Snapshot cleanup never fails a crawl: what it could not delete now, the next start deletes.
    /// The reason is kept for the command to show (a user without PRIVILEGE_SNAPSHOT_WRITE, say).
    /// </summary>
    private static async Task<int> BestEffortAsync(Func<Task<int>> cleanup, List<string> failures)
    {
        try
        {
            return await cleanup().ConfigureAwait(false);
        }
        catch (QumuloApiException e)
        {
            failures.Add(e.Message);
            return 0;
        }
        catch (OperationCanceledException)
        {
            // Interrupted after the commit landed: the crawl succeeded; the next start cleans up.
            failures.Add("interrupted");
            return 0;
        }
    }

    private async Task<CrawlResult> CrawlAsync(
        string rootPath, string rootId, long? snapshotId, CrawlOptions options, IIndexStore store,
        IProgress<CrawlProgress>? progress, Stopwatch stopwatch, CancellationToken cancellationToken)
    {
        var estimate = await EstimateAsync(rootPath, snapshotId, cancellationToken).ConfigureAwait(false);
        var ingestTs = DateTimeOffset.UtcNow;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = failed.Token;

        await using var writer = store.BeginReplace();
        var records = Channel.CreateBounded<FileRecord>(new BoundedChannelOptions(16_384) { SingleReader = true });
        var directories = Channel.CreateUnbounded<string>();
        long pending = 1;
        long directoriesDone = 0;
        long objects = 0;

        var root = await _client.GetAttributesAsync(rootPath, snapshotId, token).ConfigureAwait(false);
        await records.Writer.WriteAsync(FileRecordParser.Parse(root, ingestTs), token).ConfigureAwait(false);
        Interlocked.Increment(ref objects);
        directories.Writer.TryWrite(rootId);

        Exception? firstFailure = null;
        async Task FailAsync(Exception e)
        {
            // The first failure ends every task at once: workers would otherwise wait for
            // directories a failed worker will never list, or for room the writer will never make.
            if (Interlocked.CompareExchange(ref firstFailure, e, null) is null)
            {
                await failed.CancelAsync().ConfigureAwait(false);
                directories.Writer.TryComplete();
            }
        }

        var writerTask = Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var record in records.Reader.ReadAllAsync(token).ConfigureAwait(false))
                    {
                        await writer.AddAsync(record, token).ConfigureAwait(false);
                    }
                }
                catch (Exception e)
                {
                    await FailAsync(e).ConfigureAwait(false);
                    throw;
                }
            },
            token);

        long vanished = 0;
        var live = snapshotId is null;

        async Task WorkerAsync()
        {
            try
            {
                await foreach (var directoryId in directories.Reader.ReadAllAsync(token).ConfigureAwait(false))
                {
                    try
                    {
                        await ListDirectoryAsync(directoryId).ConfigureAwait(false);
                    }
                    catch (QumuloApiException e) when (live && IsVanished(e))
                    {
                        // Deleted (or replaced) after its parent was listed: a live crawl has no
                        // point in time to be consistent with; the watcher's catch-up repairs it.
                        Interlocked.Increment(ref vanished);
                    }

                    Interlocked.Increment(ref directoriesDone);
                    if (Interlocked.Decrement(ref pending) == 0)
                    {
                        directories.Writer.TryComplete();
                    }
                }
            }
            catch (Exception e)
            {
                await FailAsync(e).ConfigureAwait(false);
                throw;
            }
        }

        async Task ListDirectoryAsync(string directoryId)
        {
            await foreach (var page in _client.ListEntryPagesAsync(directoryId, snapshotId, options.PageSize, token).ConfigureAwait(false))
            {
                using (page)
                {
                    if (!page.RootElement.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array)
                    {
                        continue;
                    }

                    foreach (var file in files.EnumerateArray())
                    {
                        var record = FileRecordParser.Parse(file, ingestTs);
                        if (record.Type == DirectoryType && record.Id is { } childId)
                        {
                            Interlocked.Increment(ref pending);
                            directories.Writer.TryWrite(childId);
                        }

                        await records.Writer.WriteAsync(record, token).ConfigureAwait(false);
                        Interlocked.Increment(ref objects);
                    }
                }
            }
        }

        var workers = Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(WorkerAsync, token)).ToList();
        using var reporter = progress is null ? null : new Timer(
            _ => progress.Report(new CrawlProgress(
                Interlocked.Read(ref objects), Interlocked.Read(ref directoriesDone), Interlocked.Read(ref pending),
                Interlocked.Read(ref objects) / Math.Max(stopwatch.Elapsed.TotalSeconds, 0.001), estimate)),
            null,
            TimeSpan.FromMilliseconds(250),
            TimeSpan.FromMilliseconds(500));

        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
            records.Writer.TryComplete();
            await writerTask.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // One failure stops every worker; the writer is disposed uncommitted, so the index stays as it was.
            Interlocked.CompareExchange(ref firstFailure, e, null);
            await failed.CancelAsync().ConfigureAwait(false);
            directories.Writer.TryComplete();
            records.Writer.TryComplete();
            await Task.WhenAll(workers.Append(writerTask)).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);

            // The caller's cancellation is reported as such; otherwise the failure that started it
            // all, not the cancellations it caused in the other workers.
            cancellationToken.ThrowIfCancellationRequested();
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(firstFailure!);
            throw;
        }

        writer.AddSummaryProperty("qindex.crawl-objects", objects.ToString(CultureInfo.InvariantCulture));
        await writer.CommitAsync(
            new IndexBaseline(options.ClusterHost, rootPath, snapshotId?.ToString(CultureInfo.InvariantCulture), DateTimeOffset.UtcNow),
            cancellationToken).ConfigureAwait(false);
        progress?.Report(new CrawlProgress(objects, directoriesDone, 0, objects / Math.Max(stopwatch.Elapsed.TotalSeconds, 0.001), estimate));
        return new CrawlResult(objects, directoriesDone, snapshotId, stopwatch.Elapsed, vanished);
    }

    private static bool IsVanished(QumuloApiException e) =>
        e.ErrorClass is "fs_no_such_entry_error" or "fs_not_a_directory_error";

    private async Task<long?> EstimateAsync(string rootPath, long? snapshotId, CancellationToken cancellationToken)
    {
        try
        {
            var aggregates = await _client.GetAggregatesAsync(rootPath, recursive: false, snapshotId, cancellationToken).ConfigureAwait(false);
            long total = 1;
            foreach (var name in new[] { "total_files", "total_directories", "total_symlinks", "total_other_objects" })
            {
                if (aggregates.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                    && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count))
                {
                    total += count;
                }
            }

            return total;
        }
        catch (QumuloApiException)
        {
            // Aggregates only feed the ETA; a cluster that refuses them still gets crawled.
            return null;
        }
    }
}
