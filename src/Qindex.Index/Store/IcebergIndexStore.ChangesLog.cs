using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Qindex.Iceberg.Catalog;
using Qindex.Iceberg.Parquet;
using Qindex.Iceberg.Spec;
using Qindex.Iceberg.Table;

namespace Qindex.Index.Store;

/// <summary>
/// The append-only <c>qindex.changes</c> table. Two Iceberg tables cannot commit atomically, so a
/// change set's rows are appended right after its <c>files</c> commit lands: a crash (or a failed
/// append) between the two loses that set's log rows, never the index change itself, and a
/// restarted watcher does not log it again because its checkpoint already moved past it. The log
/// is therefore complete except for such gaps, which <see cref="ChangesLogFailures"/> counts.
/// Appends run in the background behind the commits (one at a time, in commit order); queries,
/// maintenance and disposal wait for them.
/// </summary>
public sealed partial class IcebergIndexStore
{
    /// <summary>The changes table's identifier.</summary>
    public static readonly TableIdentifier ChangesTableName = new("qindex", "changes");

    /// <summary>How long change rows are kept by default.</summary>
    public static readonly TimeSpan DefaultChangesRetention = TimeSpan.FromDays(30);

    private IcebergTable? _changesTable;

    // Appends run one after another behind the commits that produced them, so the caller's next
    // batch overlaps the previous batch's log append; readers and disposal wait for the tail.
    private Task _changesLogTail = Task.CompletedTask;
    private readonly SemaphoreSlim _changesLock = new(1, 1);

    /// <summary>Change rows older than this are removed by <see cref="MaintainChangesAsync"/> (a whole file at a time, once all its rows are older).</summary>
    public TimeSpan ChangesRetention { get; set; } = DefaultChangesRetention;

    /// <summary>Whether change sets append to the changes table (on by default).</summary>
    public bool ChangesLogEnabled { get; set; } = true;

    /// <summary>Change sets whose log rows could not be appended since the store opened.</summary>
    public int ChangesLogFailures { get; private set; }

    /// <summary>Why the last append to the changes table failed, or null.</summary>
    public string? LastChangesLogError { get; private set; }

    internal string IndexDirectory => _indexDirectory;

    /// <summary>The changes table, created on first use when <paramref name="create"/>; null when it does not exist.</summary>
    internal async Task<IcebergTable?> OpenChangesTableAsync(bool create, CancellationToken cancellationToken)
    {
        if (_changesTable is null)
        {
            _changesTable = create
                ? await IcebergTable.LoadOrCreateAsync(
                    _catalog,
                    ChangesTableName,
                    ChangeLogFile.Schema,
                    ChangeLogFile.SortOrder,
                    new Dictionary<string, string>(StringComparer.Ordinal)
                    {
                        ["write.format.default"] = "parquet",
                        ["write.parquet.compression-codec"] = "zstd",
                        ["commit.manifest.min-count-to-merge"] = MinManifestsToMerge.ToString(CultureInfo.InvariantCulture),
                    },
                    cancellationToken).ConfigureAwait(false)
                : await IcebergTable.LoadAsync(_catalog, ChangesTableName, cancellationToken).ConfigureAwait(false);
        }

        return _changesTable;
    }

    /// <summary>
    /// Queues a committed change set's log rows behind the appends already queued; the set's moved
    /// rows (<paramref name="moved"/>) are handed back for the next set once the log no longer reads them.
    /// </summary>
    private void QueueChangesLog(PendingLog log, MovedRows moved)
    {
        if (log.Count == 0 || !ChangesLogEnabled)
        {
            ReturnMovedRows(moved);
            return;
        }

        var previous = _changesLogTail;
        _changesLogTail = Task.Run(async () =>
        {
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                await AppendChangesLogQuietlyAsync(log, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                ReturnMovedRows(moved);
            }
        });
    }

    /// <summary>Waits until every committed change set's log rows are appended (or counted as failed).</summary>
    public Task FlushChangesLogAsync() => _changesLogTail.WaitAsync(Timeout.InfiniteTimeSpan);

    /// <summary>Appends a committed change set's rows to the changes table; a failure is counted, never thrown (the index change has landed).</summary>
    private async Task AppendChangesLogQuietlyAsync(PendingLog log, CancellationToken cancellationToken)
    {
        if (log.Count == 0 || !ChangesLogEnabled)
        {
            return;
        }

        await _changesLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The old paths of rows a directory move carried are written here, off the commit's path.
            var table = (await OpenChangesTableAsync(create: true, cancellationToken).ConfigureAwait(false))!;
            var (local, location) = NewFile(table, "-changes.parquet");
            ChangeLogFile.Write(local, log.ToRows(), log.Moved is { } moved ? new MovedLogRows(moved, log.Time, log.SnapshotId) : null);
            var file = ParquetMetrics.Read(local, location, ChangeLogFile.Schema, new HashSet<int>(), FileContent.Data);
            await table.IO.PublishAsync(local, location, cancellationToken).ConfigureAwait(false);
            await table.RefreshAsync(cancellationToken).ConfigureAwait(false);
            await table.CommitAsync(new FileChange { Added = [file] }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Runs in the background after the index commit landed: whatever failed is counted
            // and reported, never allowed to stop the appends queued behind it.
            ChangesLogFailures++;
            LastChangesLogError = e.Message;
        }
        finally
        {
            _changesLock.Release();
        }
    }

    /// <summary>The live data files of the changes table (local paths), empty when it does not exist.</summary>
    private async Task<IReadOnlyList<string>> ChangesFilesAsync(CancellationToken cancellationToken)
    {
        await FlushChangesLogAsync().ConfigureAwait(false);
        var table = await OpenChangesTableAsync(create: false, cancellationToken).ConfigureAwait(false);
        if (table is null)
        {
            return [];
        }

        await table.RefreshAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<string>();
        foreach (var entry in await table.LiveEntriesAsync(cancellationToken).ConfigureAwait(false))
        {
            result.Add(await table.IO.GetLocalCopyAsync(entry.DataFile.FilePath, CacheDirectory, cancellationToken).ConfigureAwait(false));
        }

        return result;
    }

    /// <summary>
    /// Keeps the changes table bounded: removes files whose rows are all older than
    /// <see cref="ChangesRetention"/>, merges small files into one when there are more than
    /// <paramref name="fileThreshold"/>, and expires its old snapshots.
    /// </summary>
    /// <returns>Files removed by retention and files merged.</returns>
    public async Task<(int Expired, int Merged)> MaintainChangesAsync(int fileThreshold, CancellationToken cancellationToken)
    {
        await FlushChangesLogAsync().ConfigureAwait(false);
        await _changesLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await MaintainChangesLockedAsync(fileThreshold, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _changesLock.Release();
        }
    }

    private async Task<(int Expired, int Merged)> MaintainChangesLockedAsync(int fileThreshold, CancellationToken cancellationToken)
    {
        var table = await OpenChangesTableAsync(create: false, cancellationToken).ConfigureAwait(false);
        if (table is null)
        {
            return (0, 0);
        }

        await table.RefreshAsync(cancellationToken).ConfigureAwait(false);
        var files = (await table.LiveEntriesAsync(cancellationToken).ConfigureAwait(false)).Select(e => e.DataFile).ToList();
        // A retention longer than the time since 1970 keeps everything (and must not underflow).
        var now = DateTimeOffset.UtcNow;
        long cutoff = ChangesRetention >= now - DateTimeOffset.UnixEpoch ? 0 : Qindex.Index.Records.FileRecordColumns.ToMicros(now - ChangesRetention);
        var expired = files.Where(f => f.UpperBounds?.GetValueOrDefault(1) is { Length: 8 } b && BitConverter.ToInt64(b) < cutoff).ToList();
        if (expired.Count > 0)
        {
            await table.CommitAsync(new FileChange { Removed = expired.Select(f => f.FilePath).ToHashSet(StringComparer.Ordinal) }, cancellationToken).ConfigureAwait(false);
            files = files.Except(expired).ToList();
        }

        int merged = 0;
        var small = files.Where(f => f.FileSizeInBytes < 64L << 20).ToList();
        if (files.Count > fileThreshold && small.Count > 1)
        {
            var locals = new List<string>();
            foreach (var f in small)
            {
                locals.Add(await table.IO.GetLocalCopyAsync(f.FilePath, CacheDirectory, cancellationToken).ConfigureAwait(false));
            }

            var (local, location) = NewFile(table, "-changes.parquet");
            await using (var duck = new DuckDBConnection("DataSource=:memory:"))
            {
                await duck.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var copy = duck.CreateCommand();
                var list = new StringBuilder("[");
                list.AppendJoin(", ", locals.Select(Query.QueryEngine.Literal)).Append(']');
                copy.CommandText = $"COPY (SELECT * FROM read_parquet({list}) ORDER BY time) TO {Query.QueryEngine.Literal(local)} (FORMAT parquet, COMPRESSION zstd, FIELD_IDS {{time: 1, kind: 2, path: 3, previous_path: 4, size_before: 5, size_after: 6, snapshot_id: 7}})";
                await copy.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            var file = ParquetMetrics.Read(local, location, ChangeLogFile.Schema, new HashSet<int>(), FileContent.Data);
            await table.IO.PublishAsync(local, location, cancellationToken).ConfigureAwait(false);
            await table.CommitAsync(new FileChange { Added = [file], Removed = small.Select(f => f.FilePath).ToHashSet(StringComparer.Ordinal) }, cancellationToken).ConfigureAwait(false);
            merged = small.Count;
        }

        await table.ExpireSnapshotsAsync(DateTimeOffset.UtcNow - SnapshotMaxAge, MinSnapshotsToKeep, cancellationToken).ConfigureAwait(false);
        return (expired.Count, merged);
    }
}
