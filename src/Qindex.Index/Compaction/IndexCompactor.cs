using System.Globalization;
using Qindex.Iceberg.Parquet;
using Qindex.Iceberg.Spec;
using Qindex.Iceberg.Table;
using Qindex.Index.Import;
using Qindex.Index.Store;

namespace Qindex.Index.Compaction;

/// <summary>
/// Compaction of the index table: folds position deletes into new data files, merges small files,
/// and leaves the live data files sorted and disjoint (major) or merges what change sets wrote
/// (minor), committed as one RewriteFiles snapshot. The rewrite runs without the store's write
/// lock, so change sets keep committing while it reads and writes; the lock is held only to
/// finish: rows of the rewrite that a concurrent change set replaced or deleted meanwhile are
/// found through the key index and deleted from the new files in the same commit, so nothing a
/// concurrent commit did is lost or brought back. Another process's concurrent delete on a file it
/// removes fails its commit, and the next run tries again. The watcher runs it in the background
/// (<see cref="BackgroundCompaction"/>), <c>qindex compact</c> on demand.
/// </summary>
public static class IndexCompactor
{
    /// <summary>One compaction at a time per store; a second waits.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IcebergIndexStore, SemaphoreSlim> Running = new();

    /// <summary>Compacts <paramref name="store"/> when <paramref name="options"/> say it is due.</summary>
    public static Task<CompactionResult> CompactAsync(IcebergIndexStore store, CompactionOptions options, CancellationToken cancellationToken) =>
        CompactAsync(store, options, null, cancellationToken);

    /// <summary>As the public overload; <paramref name="beforeFinish"/> runs between the rewrite and its commit (tests land change sets there).</summary>
    internal static async Task<CompactionResult> CompactAsync(IcebergIndexStore store, CompactionOptions options, Func<Task>? beforeFinish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var running = Running.GetValue(store, _ => new SemaphoreSlim(1, 1));
        await running.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CompactOnceAsync(store, options, beforeFinish, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            running.Release();
        }
    }

    /// <summary>
    /// Whether a compaction may be due, from the current snapshot's summary totals alone (no
    /// manifest read), so a watcher can ask after every batch. True when the totals are missing
    /// (a writer that does not keep them): then <see cref="CompactAsync(IcebergIndexStore, CompactionOptions, CancellationToken)"/> decides from the manifests.
    /// </summary>
    public static bool MayBeDue(IcebergIndexStore store, CompactionOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Force)
        {
            return true;
        }

        var summary = store.Table.Metadata.CurrentSnapshot?.Summary;
        if (summary is null)
        {
            return false;
        }

        long Total(string key) => summary.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : -1;
        long records = Total("total-records"), dataFiles = Total("total-data-files"), deleteFiles = Total("total-delete-files"), deleted = Total("total-position-deletes");
        if (records < 0 || dataFiles < 0 || deleteFiles < 0)
        {
            return true;
        }

        long rows = records - Math.Max(0, deleted);
        long minimum = Math.Max(1, (rows + options.RowsPerFile - 1) / options.RowsPerFile);
        return dataFiles + deleteFiles - minimum >= options.FileThreshold;
    }

    private static async Task<CompactionResult> CompactOnceAsync(IcebergIndexStore store, CompactionOptions options, Func<Task>? beforeFinish, CancellationToken cancellationToken)
    {
        var table = store.Table;
        Snapshot? baseSnapshot;
        IReadOnlyList<ManifestEntry> live;

        // The table is read under the lock so the plan starts from a snapshot no change set of this
        // process is half-way through.
        await store.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await table.RefreshAsync(cancellationToken).ConfigureAwait(false);
            baseSnapshot = table.Metadata.CurrentSnapshot;
            live = await table.LiveEntriesAsync(cancellationToken, baseSnapshot).ConfigureAwait(false);
        }
        finally
        {
            store.WriteLock.Release();
        }

        var data = live.Where(e => e.DataFile.Content == FileContent.Data).Select(e => e.DataFile).ToList();
        var deletes = live.Where(e => e.DataFile.Content != FileContent.Data).Select(e => e.DataFile).ToList();
        long rows = data.Sum(f => f.RecordCount) - deletes.Sum(f => f.RecordCount);
        int minimum = (int)Math.Max(1, (rows + options.RowsPerFile - 1) / options.RowsPerFile);
        int excess = data.Count + deletes.Count - minimum;
        bool due = options.Force
            ? deletes.Count > 0 || data.Count > minimum || data.Any(f => f.SortOrderId != IcebergIndexStore.SortOrder.OrderId) || Overlapping(data)
            : excess >= options.FileThreshold;
        if (!due || data.Count == 0)
        {
            return new CompactionResult(false, 0, 0, rows, options.Force ? "already compact" : $"{excess} file(s) above the minimum, threshold {options.FileThreshold}");
        }

        if (deletes.Any(d => d.Content == FileContent.EqualityDeletes))
        {
            return new CompactionResult(false, 0, 0, rows, "the table has equality deletes, which qindex does not apply");
        }

        double deletedShare = (double)deletes.Sum(f => f.RecordCount) / Math.Max(1, data.Sum(f => f.RecordCount));
        var small = data.Where(f => f.RecordCount < options.RowsPerFile && f.SortOrderId == IcebergIndexStore.SortOrder.OrderId).ToList();
        var rewrite = !options.Force && deletedShare < options.MajorDeleteRatio && small.Count + deletes.Count - 2 >= Math.Max(1, options.FileThreshold / 2)
            ? await MinorAsync(store, data, small, deletes, options, cancellationToken).ConfigureAwait(false)
            : await MajorAsync(store, data, deletes, rows, options, cancellationToken).ConfigureAwait(false);
        try
        {
            if (beforeFinish is not null)
            {
                await beforeFinish().ConfigureAwait(false);
            }

            return await FinishAsync(store, baseSnapshot, rewrite, rows, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await store.DeleteQuietlyAsync(rewrite.Created).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A rewrite written but not committed: the files it replaces, the files it adds, and where
    /// every row it wrote went (the key index needs each row's new place).
    /// </summary>
    private sealed class Rewrite
    {
        public required string Kind { get; init; }

        public required List<DataFile> RemovedData { get; init; }

        public required List<DataFile> RemovedDeletes { get; init; }

        /// <summary>New data files, in the order <see cref="Rows"/> number them.</summary>
        public List<DataFile> AddedData { get; } = [];

        /// <summary>New delete files (a minor compaction's combined deletes).</summary>
        public List<DataFile> AddedDeletes { get; } = [];

        /// <summary>Every row written: its key, output file number, position and size.</summary>
        public List<(UInt128 Key, int File, int Position, long? Size)> Rows { get; } = [];

        /// <summary>Locations written, deleted again when the rewrite is not committed.</summary>
        public List<string> Created { get; } = [];

        /// <summary>Local copies of the new data files, in the order of <see cref="AddedData"/>.</summary>
        public List<string> AddedLocals { get; } = [];

        /// <summary>The new data files' paths as written, for the store's paths cache.</summary>
        public MergedPaths Paths { get; } = new(IcebergIndexStore.PathsCacheBytes / 2);
    }

    /// <summary>
    /// Commits a rewrite under the store's write lock. Change sets that landed since the rewrite's
    /// snapshot replaced or deleted some of the rows it copied: the key index (current again here)
    /// no longer points those keys at the removed files, so their copies are deleted by position in
    /// the new files, in the same commit.
    /// </summary>
    private static async Task<CompactionResult> FinishAsync(IcebergIndexStore store, Snapshot? baseSnapshot, Rewrite rewrite, long rows, CancellationToken cancellationToken)
    {
        var table = store.Table;
        await store.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var picture = await store.CurrentLiveAsync(cancellationToken).ConfigureAwait(false);
            var head = table.Metadata.CurrentSnapshot;
            if (head?.SnapshotId != baseSnapshot?.SnapshotId)
            {
                // Another compaction (another process) may have replaced what this one read.
                var now = (await table.LiveEntriesAsync(cancellationToken, head).ConfigureAwait(false)).Select(e => e.DataFile.FilePath).ToHashSet(StringComparer.Ordinal);
                var gone = rewrite.RemovedData.Concat(rewrite.RemovedDeletes).FirstOrDefault(f => !now.Contains(f.FilePath));
                if (gone is not null)
                {
                    await store.DeleteQuietlyAsync(rewrite.Created).ConfigureAwait(false);
                    return new CompactionResult(false, 0, 0, rows, $"{gone.FilePath} was replaced by a concurrent commit; compaction runs again later");
                }
            }

            var removedLocations = rewrite.RemovedData.Select(f => f.FilePath).ToHashSet(StringComparer.Ordinal);
            var removedIds = picture.Files.Where(f => removedLocations.Contains(f.File.Location)).Select(f => f.Id).ToHashSet();

            var superseded = new List<PositionDelete>();
            var kept = new List<(UInt128 Key, int File, int Position, long? Size)>(rewrite.Rows.Count);
            foreach (var row in rewrite.Rows)
            {
                if (picture.Keys.TryGet(row.Key, out var at) && removedIds.Contains(at.File))
                {
                    kept.Add(row);
                }
                else
                {
                    superseded.Add(new PositionDelete(rewrite.AddedData[row.File].FilePath, row.Position));
                }
            }

            var addedDeletes = new List<DataFile>(rewrite.AddedDeletes);
            if (superseded.Count > 0)
            {
                var (local, location) = store.NewFile("-deletes.parquet");
                rewrite.Created.Add(location);
                superseded.Sort((a, b) => a.FilePath != b.FilePath ? string.CompareOrdinal(a.FilePath, b.FilePath) : a.Position.CompareTo(b.Position));
                PositionDeleteFile.Write(local, superseded);
                addedDeletes.Add(ParquetMetrics.Read(local, location, PositionDeleteFile.Schema, PositionDeleteFile.FullBoundColumns, FileContent.PositionDeletes));
                await table.IO.PublishAsync(local, location, cancellationToken).ConfigureAwait(false);
            }

            // Once the commit starts it finishes: a cancelled compaction never leaves half a rewrite.
            Snapshot snapshot;
            try
            {
                snapshot = await table.CommitAsync(
                    new RewriteFiles
                    {
                        BaseSnapshotId = head?.SnapshotId,
                        Removed = rewrite.RemovedData.Concat(rewrite.RemovedDeletes).Select(f => f.FilePath).ToHashSet(StringComparer.Ordinal),
                        Added = rewrite.AddedData.Concat(addedDeletes).ToList(),
                        ReadDeleteTargets = (file, token) => ReadDeleteTargetsAsync(store, file, token),
                        Summary = new Dictionary<string, string> { ["qindex.compaction"] = rewrite.Kind },
                        InheritSummary = InheritQindexKeys,
                    },
                    CancellationToken.None).ConfigureAwait(false);
            }
            catch (CommitValidationException e)
            {
                await store.DeleteQuietlyAsync(rewrite.Created).ConfigureAwait(false);
                return new CompactionResult(false, 0, 0, rows, e.Message);
            }

            // Every kept row has a new place; rows changed meanwhile keep the place their change gave them.
            foreach (var file in rewrite.RemovedData)
            {
                picture.ForgetFile(file.FilePath);
            }

            var ids = rewrite.AddedData.Select(picture.AddFile).ToList();
            foreach (var (key, file, position, size) in kept)
            {
                picture.Keys.Set(key, new RowLocator(ids[file], position), size);
            }

            picture.SnapshotId = snapshot.SnapshotId;

            // The next change set that moves a directory searches these files: their paths are
            // at hand, so they are not read back (under the default load at 1M rows, reading a
            // compaction's files back took 0.6 to 1.6 s of a commit).
            store.SeedPaths(picture, rewrite.AddedData.Select((f, i) => (f, rewrite.AddedLocals[i], rewrite.Paths.Of(i))));
            int removed = rewrite.RemovedData.Count + rewrite.RemovedDeletes.Count;
            return new CompactionResult(true, removed, rewrite.AddedData.Count, picture.Keys.Count, string.Create(
                CultureInfo.InvariantCulture,
                $"{rewrite.Kind}: {rewrite.RemovedData.Count} data and {rewrite.RemovedDeletes.Count} delete file(s) rewritten as {rewrite.AddedData.Count + addedDeletes.Count}{(superseded.Count > 0 ? $" ({superseded.Count} row(s) changed meanwhile deleted from them)" : string.Empty)}"));
        }
        finally
        {
            store.WriteLock.Release();
        }
    }

    /// <summary>A major compaction's rewrite: every data file with its deletes applied, merged into sorted, disjoint files.</summary>
    private static async Task<Rewrite> MajorAsync(IcebergIndexStore store, List<DataFile> data, List<DataFile> deletes, long rows, CompactionOptions options, CancellationToken cancellationToken)
    {
        var table = store.Table;
        var deleted = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        foreach (var file in deletes)
        {
            string local = await table.IO.GetLocalCopyAsync(file.FilePath, store.CacheDirectory, cancellationToken).ConfigureAwait(false);
            foreach (var d in PositionDeleteFile.Read(local))
            {
                if (!deleted.TryGetValue(d.FilePath, out var set))
                {
                    deleted[d.FilePath] = set = [];
                }

                set.Add(d.Position);
            }
        }

        var rewrite = new Rewrite { Kind = "major", RemovedData = data, RemovedDeletes = deletes };
        var outputs = new List<(string Local, string Location)>();
        var sortRuns = new List<SortedRunWriter>();
        try
        {
            var inputs = new List<MergeInput>();
            foreach (var file in data)
            {
                string local = await table.IO.GetLocalCopyAsync(file.FilePath, store.CacheDirectory, cancellationToken).ConfigureAwait(false);
                deleted.TryGetValue(file.FilePath, out var gone);
                if (file.SortOrderId == IcebergIndexStore.SortOrder.OrderId)
                {
                    inputs.Add(new MergeInput(local, gone));
                    continue;
                }

                // Written unsorted (an import that left sorting to compaction): sort it in runs first.
                var runs = new SortedRunWriter(Path.Combine(store.CacheDirectory, "compaction"), options.RowsPerFile, "sort-" + Guid.NewGuid().ToString("N"));
                sortRuns.Add(runs);
                long position = 0;
                await IndexParquetReader.ReadAsync(
                    local,
                    null,
                    async batch =>
                    {
                        foreach (var row in batch)
                        {
                            if (gone is null || !gone.Contains(position))
                            {
                                await runs.AddAsync(row, cancellationToken).ConfigureAwait(false);
                            }

                            position++;
                        }
                    },
                    bad => throw new IndexStoreException($"{file.FilePath}: row {bad.Line} has no path"),
                    cancellationToken).ConfigureAwait(false);
                inputs.AddRange((await runs.CompleteAsync(cancellationToken).ConfigureAwait(false)).Select(f => new MergeInput(f.Path)));
            }

            rewrite.Rows.Capacity = (int)Math.Min(Math.Max(rows, 0), int.MaxValue / 4);
            await MergeAsync(store, rewrite, inputs, outputs, options, cancellationToken).ConfigureAwait(false);
            return rewrite;
        }
        catch
        {
            await store.DeleteQuietlyAsync(rewrite.Created).ConfigureAwait(false);
            throw;
        }
        finally
        {
            foreach (var runs in sortRuns)
            {
                await runs.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A minor compaction's rewrite: merges the data files that are not yet full (what change sets
    /// wrote) with their deletes applied into full sorted files, and combines every delete file into
    /// one that names only rows of the remaining live files. It costs the recent changes, not the
    /// table; the rare major compaction restores disjoint files and drops the accumulated deletes.
    /// </summary>
    private static async Task<Rewrite> MinorAsync(IcebergIndexStore store, List<DataFile> data, List<DataFile> small, List<DataFile> deletes, CompactionOptions options, CancellationToken cancellationToken)
    {
        var table = store.Table;
        var smallSet = small.Select(f => f.FilePath).ToHashSet(StringComparer.Ordinal);
        var liveData = data.Select(f => f.FilePath).ToHashSet(StringComparer.Ordinal);
        var kept = new List<PositionDelete>();
        var applied = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        foreach (var file in deletes)
        {
            string local = await table.IO.GetLocalCopyAsync(file.FilePath, store.CacheDirectory, cancellationToken).ConfigureAwait(false);
            foreach (var d in PositionDeleteFile.Read(local))
            {
                if (smallSet.Contains(d.FilePath))
                {
                    if (!applied.TryGetValue(d.FilePath, out var set))
                    {
                        applied[d.FilePath] = set = [];
                    }

                    set.Add(d.Position);
                }
                else if (liveData.Contains(d.FilePath))
                {
                    // Deletes naming a file no longer live (a compaction removed it) are dropped.
                    kept.Add(d);
                }
            }
        }

        var rewrite = new Rewrite { Kind = "minor", RemovedData = small, RemovedDeletes = deletes };
        try
        {
            var inputs = new List<MergeInput>();
            foreach (var file in small)
            {
                string local = await table.IO.GetLocalCopyAsync(file.FilePath, store.CacheDirectory, cancellationToken).ConfigureAwait(false);
                inputs.Add(new MergeInput(local, applied.GetValueOrDefault(file.FilePath)));
            }

            await MergeAsync(store, rewrite, inputs, [], options, cancellationToken).ConfigureAwait(false);
            if (kept.Count > 0)
            {
                var (local, location) = store.NewFile("-deletes.parquet");
                rewrite.Created.Add(location);
                PositionDeleteFile.Write(local, kept);
                rewrite.AddedDeletes.Add(ParquetMetrics.Read(local, location, PositionDeleteFile.Schema, PositionDeleteFile.FullBoundColumns, FileContent.PositionDeletes));
                await table.IO.PublishAsync(local, location, cancellationToken).ConfigureAwait(false);
            }

            return rewrite;
        }
        catch
        {
            await store.DeleteQuietlyAsync(rewrite.Created).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Merges <paramref name="inputs"/> into new sorted files, publishes them, and records where each row went.</summary>
    private static async Task MergeAsync(IcebergIndexStore store, Rewrite rewrite, List<MergeInput> inputs, List<(string Local, string Location)> outputs, CompactionOptions options, CancellationToken cancellationToken)
    {
        var written = await SortedMerge.MergeAsync(
            inputs,
            options.RowsPerFile,
            () =>
            {
                var file = store.NewFile("-compacted.parquet");
                outputs.Add(file);
                rewrite.Created.Add(file.Location);
                return file.Local;
            },
            () => store.ScratchFile("-merge.parquet"),
            (file, position, row) =>
            {
                rewrite.Rows.Add((PathKeyIndex.KeyOf(row.Path), file, position, row.Size));
                rewrite.Paths.Add(file, row.Path);
            },
            cancellationToken).ConfigureAwait(false);
        await PublishMergedAsync(store.Table, outputs, written.Count, rewrite.AddedData, cancellationToken).ConfigureAwait(false);
        rewrite.AddedLocals.AddRange(outputs.Take(written.Count).Select(o => o.Local));
    }

    /// <summary>Reads the metrics of the first <paramref name="count"/> merged outputs and publishes them to the table.</summary>
    private static async Task PublishMergedAsync(IcebergTable table, List<(string Local, string Location)> outputs, int count, List<DataFile> added, CancellationToken cancellationToken)
    {
        for (int i = 0; i < count; i++)
        {
            added.Add(ParquetMetrics.Read(outputs[i].Local, outputs[i].Location, IcebergIndexStore.Schema, IcebergIndexStore.FullBoundColumnIds, FileContent.Data, IcebergIndexStore.SortOrder.OrderId));
            await table.IO.PublishAsync(outputs[i].Local, outputs[i].Location, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool InheritQindexKeys(string key) => key.StartsWith("qindex.", StringComparison.Ordinal) && !key.StartsWith("qindex.rows-", StringComparison.Ordinal);

    private static async Task<IReadOnlySet<string>> ReadDeleteTargetsAsync(IcebergIndexStore store, DataFile file, CancellationToken cancellationToken)
    {
        string local = await store.Table.IO.GetLocalCopyAsync(file.FilePath, store.CacheDirectory, cancellationToken).ConfigureAwait(false);
        return PositionDeleteFile.Read(local).Select(d => d.FilePath).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Whether some two data files' path ranges overlap (by their manifest bounds).</summary>
    private static bool Overlapping(List<DataFile> data)
    {
        var ranges = data.Select(f => (
                Lower: f.LowerBounds?.GetValueOrDefault(IcebergIndexStore.PathFieldId) is { } l ? System.Text.Encoding.UTF8.GetString(l) : null,
                Upper: f.UpperBounds?.GetValueOrDefault(IcebergIndexStore.PathFieldId) is { } u ? System.Text.Encoding.UTF8.GetString(u) : null))
            .ToList();
        if (ranges.Any(r => r.Lower is null || r.Upper is null))
        {
            return data.Count > 1;
        }

        ranges.Sort((a, b) => PathOrder.Instance.Compare(a.Lower, b.Lower));
        for (int i = 1; i < ranges.Count; i++)
        {
            if (PathOrder.Instance.Compare(ranges[i - 1].Upper, ranges[i].Lower) >= 0)
            {
                return true;
            }
        }

        return false;
    }
}
