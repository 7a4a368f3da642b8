namespace Qindex.Index.Watch;

/// <summary>What to watch and how: the window, batch limits, timeouts and request concurrency.</summary>
public sealed record WatchOptions
{
    /// <summary>Host name recorded in the baseline.</summary>
    public required string ClusterHost { get; init; }

    /// <summary>The watched directory (absolute; the index's root).</summary>
    public required string RootPath { get; init; }

    /// <summary>Event types to ask for (null or empty: all).</summary>
    public IReadOnlyCollection<string>? Filter { get; init; }

    /// <summary>How long events are gathered into one batch after the first one arrives; events already waiting when it ends join the batch too, up to <see cref="MaxBatch"/>.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A batch is closed early when it holds this many events.</summary>
    public int MaxBatch { get; init; } = 100_000;

    /// <summary>Watch even when the cluster serves recursive watches as non-recursive (DISABLED_IGNORE).</summary>
    public bool AllowNonRecursive { get; init; }

    /// <summary>No byte (event or keep-alive) for this long means the stream is dead: reconnect.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Attribute requests and listings in flight at once.</summary>
    public int ResolveConcurrency { get; init; } = 16;

    /// <summary>
    /// At least this many changes in one directory whose size is not known (it was not read
    /// first): list it instead of one request per entry.
    /// </summary>
    public int ListThreshold { get; init; } = 32;

    /// <summary>
    /// Changes in one directory are listed when they are at least one in this many of its entries
    /// (its child_count), and read one by one otherwise, whatever their number: a listed entry
    /// costs about a quarter of a request of its own (docs/decisions/0013-resolve-by-directory.md).
    /// </summary>
    public int ListShare { get; init; } = 4;

    /// <summary>Entries per listing page.</summary>
    public int PageSize { get; init; } = 1000;

    /// <summary>
    /// Events buffered while a batch or catch-up is being applied; beyond it the stream is dropped
    /// and caught up from a snapshot, which costs the net change rather than every event. A
    /// buffered event holds about 1 KB (its paths and spine as strings), so the default keeps the
    /// backlog near 250 MB; it was 2,000,000, and a watcher far behind then held gigabytes.
    /// </summary>
    public int BufferCapacity { get; init; } = 250_000;

    /// <summary>First reconnect delay; doubles (with jitter) up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest wait between reconnect attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Take a new baseline (a catch-up without a reconnect) this often; null: only at start and reconnects.</summary>
    public TimeSpan? BaselineInterval { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// A catch-up without a snapshot difference walks the cluster and compares the walk with the
    /// index; up to this many differing rows are applied as one change set (each logged in the
    /// <c>changes</c> table, unchanged rows left as they are). Beyond it the walk replaces the
    /// table, which bounds memory (a change set holds its rows until the commit) and logs no rows.
    /// </summary>
    public int RecrawlChangeLimit { get; init; } = 250_000;

    /// <summary>
    /// A directory moved into the tree is crawled into its batch; past this many rows, what the
    /// batch holds so far is committed as a part of it and the crawl goes on, so memory stays
    /// bounded however large the directory (about 2.3 KB a row held: some 230 MB at the default).
    /// Until the batch's last part commits, queries see the directory partly moved in; a watcher
    /// stopped in between finishes it at its next start (the journal names the directory).
    /// </summary>
    public int CrawlPartRows { get; init; } = 100_000;

    /// <summary>Run compaction and snapshot expiry in the background this often (null: never).</summary>
    public TimeSpan? MaintenanceInterval { get; init; } = TimeSpan.FromMinutes(5);
}
