using System.Globalization;
using Qindex.Iceberg.Parquet;
using Qindex.Iceberg.Spec;
using Qindex.Iceberg.Table;
using Qindex.Index.Import;
using Qindex.Index.Store;

namespace Qindex.Index.Compaction;

/// <summary>
/// Compaction of the index table: folds position deletes into new data files, merges small files,
/// and leaves the live data files sorted by path and disjoint, committed as one RewriteFiles
/// snapshot. It runs beside other writers: in this process it takes the store's write lock (a
/// change set waits for it); another process's concurrent delete on a file it removes fails its
/// commit, and the next run tries again. The watcher calls it in the background, <c>qindex
/// compact</c> on demand.
/// </summary>
public static class IndexCompactor
{
    /// <summary>Compacts <paramref name="store"/> when <paramref name="options"/> say it is due.</summary>
    public static async Task<CompactionResult> CompactAsync(IcebergIndexStore store, CompactionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        await store.WriteLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CompactLockedAsync(store, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            store.WriteLock.Release();
        }
    }

    /// <summary>
    /// Whether a compaction may be due, from the current snapshot's summary totals alone (no
    /// manifest read), so a watcher can ask after every batch. True when the totals are missing
    /// (a writer that does not keep them): then <see cref="CompactAsync"/> decides from the manifests.
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

    private static async Task<CompactionResult> CompactLockedAsync(IcebergIndexStore store, CompactionOptions options, CancellationToken cancellationToken)
    {
        var table = store.Table;
        await table.RefreshAsync(cancellationToken).ConfigureAwait(false);
        var baseSnapshot = table.Metadata.CurrentSnapshot;
        var live = await table.LiveEntriesAsync(cancellationToken, baseSnapshot).ConfigureAwait(false);
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
        if (!options.Force && deletedShare < options.MajorDeleteRatio && small.Count + deletes.Count - 2 >= Math.Max(1, options.FileThreshold / 2))
        {
            return await MinorAsync(store, baseSnapshot, small, deletes, rows, options, cancellationToken).ConfigureAwait(false);
        }

        // The store's picture is rebuilt from the output below; drop the old one first so two
        // key indexes of the whole table are never in memory together.
        store.SetLive(null);
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

        var outputs = new List<(string Local, string Location)>();
        var temporary = new List<string>();
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

            var keys = new PathKeyIndex((int)Math.Min(Math.Max(rows, 0), int.MaxValue / 4));
            var written = await SortedMerge.MergeAsync(
                inputs,
                options.RowsPerFile,
                () =>
                {
                    var file = store.NewFile("-compacted.parquet");
                    outputs.Add(file);
                    return file.Local;
                },
                (file, position, row) => keys.Set(PathKeyIndex.KeyOf(row.Path), new RowLocator(file, position), row.Size),
                cancellationToken).ConfigureAwait(false);

            var added = new List<DataFile>(written.Count);
            await PublishMergedAsync(table, outputs, written.Count, added, cancellationToken).ConfigureAwait(false);
            var (snapshot, refused) = await CommitRewriteAsync(store, table, baseSnapshot, data.Concat(deletes), added, "major", outputs.Select(o => o.Location).ToList(), cancellationToken).ConfigureAwait(false);
            if (snapshot is null)
            {
                return new CompactionResult(false, 0, 0, rows, refused!);
            }

            var picture = LiveIndex.Create(snapshot.SnapshotId, keys);
            foreach (var file in added)
            {
                picture.AddFile(file);
            }

            store.SetLive(picture);
            return new CompactionResult(true, data.Count + deletes.Count, added.Count, keys.Count, string.Create(CultureInfo.InvariantCulture, $"{data.Count} data and {deletes.Count} delete file(s) rewritten as {added.Count}"));
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
    /// A minor compaction: merges the data files that are not yet full (what change sets wrote)
    /// with their deletes applied into full sorted files, and combines every delete file into one
    /// that names only rows of the remaining files. It costs the recent changes, not the table;
    /// the rare major compaction restores disjoint files and drops the accumulated deletes.
    /// </summary>
    private static async Task<CompactionResult> MinorAsync(IcebergIndexStore store, Snapshot? baseSnapshot, List<DataFile> small, List<DataFile> deletes, long rows, CompactionOptions options, CancellationToken cancellationToken)
    {
        var table = store.Table;
        var smallSet = small.Select(f => f.FilePath).ToHashSet(StringComparer.Ordinal);
        var kept = new List<PositionDelete>();
        var applied = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        foreach (var file in deletes)
        {
            string local = await table.IO.GetLocalCopyAsync(file.FilePath, store.CacheDirectory, cancellationToken).ConfigureAwait(false);
            foreach (var d in PositionDeleteFile.Read(local))
            {
                if (!smallSet.Contains(d.FilePath))
                {
                    kept.Add(d);
                }
                else if (applied.TryGetValue(d.FilePath, out var set))
                {
                    set.Add(d.Position);
                }
                else
                {
                    applied[d.FilePath] = [d.Position];
                }
            }
        }

        var inputs = new List<MergeInput>();
        foreach (var file in small)
        {
            string local = await table.IO.GetLocalCopyAsync(file.FilePath, store.CacheDirectory, cancellationToken).ConfigureAwait(false);
            inputs.Add(new MergeInput(local, applied.GetValueOrDefault(file.FilePath)));
        }

        var outputs = new List<(string Local, string Location)>();
        var moved = new List<(UInt128 Key, int File, int Position, long? Size)>();
        var written = await SortedMerge.MergeAsync(
            inputs,
            options.RowsPerFile,
            () =>
            {
                var file = store.NewFile("-compacted.parquet");
                outputs.Add(file);
                return file.Local;
            },
            (file, position, row) => moved.Add((PathKeyIndex.KeyOf(row.Path), file, position, row.Size)),
            cancellationToken).ConfigureAwait(false);
        var added = new List<DataFile>(written.Count + 1);
        await PublishMergedAsync(table, outputs, written.Count, added, cancellationToken).ConfigureAwait(false);

        var created = outputs.Select(o => o.Location).ToList();
        if (kept.Count > 0)
        {
            var (local, location) = store.NewFile("-deletes.parquet");
            created.Add(location);
            PositionDeleteFile.Write(local, kept);
            added.Add(ParquetMetrics.Read(local, location, PositionDeleteFile.Schema, PositionDeleteFile.FullBoundColumns, FileContent.PositionDeletes));
            await table.IO.PublishAsync(local, location, cancellationToken).ConfigureAwait(false);
        }

        var (snapshot, refused) = await CommitRewriteAsync(store, table, baseSnapshot, small.Concat(deletes), added, "minor", created, cancellationToken).ConfigureAwait(false);
        if (snapshot is null)
        {
            return new CompactionResult(false, 0, 0, rows, refused!);
        }

        // Every live row of the merged files has a new place; the rest of the picture stands.
        if (store.Live is { } picture && picture.SnapshotId == baseSnapshot?.SnapshotId)
        {
            foreach (var file in small)
            {
                picture.ForgetFile(file.FilePath);
            }

            var ids = added.Where(f => f.Content == FileContent.Data).Select(picture.AddFile).ToList();
            foreach (var (key, file, position, size) in moved)
            {
                picture.Keys.Set(key, new RowLocator(ids[file], position), size);
            }

            picture.SnapshotId = snapshot.SnapshotId;
        }
        else
        {
            store.SetLive(null);
        }

        return new CompactionResult(true, small.Count + deletes.Count, added.Count, rows, string.Create(CultureInfo.InvariantCulture, $"minor: {small.Count} data and {deletes.Count} delete file(s) rewritten as {added.Count}"));
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

    /// <summary>
    /// Commits the rewrite; when a concurrent delete targets a removed file, deletes the files it
    /// wrote and returns the refusal instead of a snapshot.
    /// </summary>
    private static async Task<(Snapshot? Snapshot, string? Refused)> CommitRewriteAsync(IcebergIndexStore store, IcebergTable table, Snapshot? baseSnapshot, IEnumerable<DataFile> removed, IReadOnlyList<DataFile> added, string kind, IReadOnlyList<string> created, CancellationToken cancellationToken)
    {
        try
        {
            var snapshot = await table.CommitAsync(
                new RewriteFiles
                {
                    BaseSnapshotId = baseSnapshot?.SnapshotId,
                    Removed = removed.Select(f => f.FilePath).ToHashSet(StringComparer.Ordinal),
                    Added = added,
                    ReadDeleteTargets = (file, token) => ReadDeleteTargetsAsync(store, file, token),
                    Summary = new Dictionary<string, string> { ["qindex.compaction"] = kind },
                    InheritSummary = InheritQindexKeys,
                },
                cancellationToken).ConfigureAwait(false);
            return (snapshot, null);
        }
        catch (CommitValidationException e)
        {
            await store.DeleteQuietlyAsync(created).ConfigureAwait(false);
            return (null, e.Message);
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
