using System.Diagnostics;
using System.Globalization;
using System.Text;
using Qindex.Iceberg;
using Qindex.Iceberg.Parquet;
using Qindex.Iceberg.Spec;
using Qindex.Iceberg.Table;
using Qindex.Index.Import;
using Qindex.Index.Records;

namespace Qindex.Index.Store;

/// <summary>The row-level write path: change sets resolved against the key index, committed as a row delta.</summary>
public sealed partial class IcebergIndexStore
{
    /// <summary>Prefix of the snapshot summary keys that hold a change set's checkpoint.</summary>
    public const string CheckpointPrefix = "qindex.checkpoint.";

    /// <summary>How often a change set is planned again after a concurrent commit (a compaction) invalidated it.</summary>
    private const int MaxChangePlans = 5;

    public IIndexChangeSet BeginChanges() => new ChangeSet(this);

    /// <summary>
    /// The moved rows' buffers of a change set whose log is written, kept for the next set: under
    /// a watcher's directory moves they hold tens of megabytes a batch, which allocated anew were
    /// zeroed, faulted in and collected each time (decision 0017).
    /// </summary>
    private MovedRows? _spareMoved;

    /// <summary>Hands <paramref name="moved"/> back for the next change set once nothing reads it.</summary>
    private void ReturnMovedRows(MovedRows? moved)
    {
        if (moved is not null)
        {
            moved.Reset();
            _spareMoved = moved;
        }
    }

    /// <summary>Where the last committed change set of this process spent its time; null before the first.</summary>
    public ChangeSetTimings? LastChangeTimings { get; private set; }

    /// <summary>What the store holds in memory for row-level changes, for traces and sizing.</summary>
    public StoreMemory Memory
    {
        get
        {
            var live = _live;
            return new StoreMemory(_pathsCache.Held, IdColumnBytes, live?.Keys.Count ?? 0);
        }
    }

    /// <summary>Serializes this process's commits: change sets, replaces and compactions.</summary>
    internal SemaphoreSlim WriteLock => _writeLock;

    /// <summary>Replaces the store's picture of the table (after a compaction, which knows where every row went).</summary>
    internal void SetLive(LiveIndex? live) => _live = live;

    /// <summary>The store's current picture, if it has one.</summary>
    internal LiveIndex? Live => _live;

    /// <summary>The picture of the current snapshot, rebuilt when another writer moved the table on.</summary>
    internal async Task<LiveIndex> CurrentLiveAsync(CancellationToken cancellationToken)
    {
        await _table.RefreshAsync(cancellationToken).ConfigureAwait(false);
        if (_live is null || _live.SnapshotId != _table.Metadata.CurrentSnapshotId)
        {
            _live = null;

            // A file's live rows were judged against the old picture; a table moved on by another
            // writer (a rollback among them) may hold rows of it live again.
            _pathsCache.DropLiveOnly();
            _live = await LiveIndex.BuildAsync(_table, CacheDirectory, cancellationToken).ConfigureAwait(false);
        }

        return _live;
    }

    internal string CacheDirectory => Path.Combine(_indexDirectory, "cache");

    /// <summary>A local path to write a new file at, and the table location it is published to.</summary>
    internal (string Local, string Location) NewFile(string suffix) => NewFile(_table, suffix);

    /// <summary>
    /// A local path for an intermediate file that is never published (a merge's passes), in the
    /// index's staging directory, where orphan cleanup removes what a killed process left.
    /// </summary>
    internal string ScratchFile(string suffix)
    {
        string staging = Path.Combine(_indexDirectory, "staging");
        Directory.CreateDirectory(staging);
        return Path.Combine(staging, DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N") + suffix);
    }

    private (string Local, string Location) NewFile(IcebergTable table, string suffix)
    {
        string name = DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N") + suffix;
        string location = table.NewDataLocation(name);
        string? local = table.IO.LocalPathOf(location);
        if (local is null)
        {
            string staging = Path.Combine(_indexDirectory, "staging");
            Directory.CreateDirectory(staging);
            local = Path.Combine(staging, name);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
        }

        return (local, location);
    }

    private async Task<IndexCommitResult> CommitChangesAsync(IReadOnlyList<IndexChange> changes, IndexBaseline? baseline, IReadOnlyDictionary<string, string> checkpoint, bool renamesById, CancellationToken cancellationToken)
    {
        if (changes.Count == 0 && baseline is null && checkpoint.Count == 0)
        {
            return new IndexCommitResult(0, 0, 0);
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (int plan = 1; ; plan++)
            {
                long started = Stopwatch.GetTimestamp();
                var live = await CurrentLiveAsync(cancellationToken).ConfigureAwait(false);
                double liveSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                var resolution = await ResolveAsync(live, changes, cancellationToken).ConfigureAwait(false);
                double resolveSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                var written = new List<string>();
                try
                {
                    var (result, log) = await CommitResolutionAsync(live, resolution, baseline, checkpoint, written, resolveSeconds, renamesById, cancellationToken).ConfigureAwait(false);
                    LastChangeTimings = LastChangeTimings! with
                    {
                        Live = liveSeconds,
                        SubtreeChanges = changes.Count(c => c.Kind is IndexChangeKind.DeleteSubtree or IndexChangeKind.MoveSubtree),
                        PathsRead = resolution.PathsRead,
                        RowsRead = resolution.RowsRead,
                    };
                    QueueChangesLog(log, resolution.Moved);
                    return result;
                }
                catch (CommitValidationException) when (plan < MaxChangePlans)
                {
                    // A compaction rewrote a file this set deletes from: plan again on its output.
                    _live = null;
                    await DeleteQuietlyAsync(written).ConfigureAwait(false);
                }
                catch (IcebergException e)
                {
                    _live = null;
                    throw new IndexStoreException($"cannot commit the changes to the index: {e.Message}", e);
                }
                catch
                {
                    _live = null;
                    throw;
                }
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal async Task DeleteQuietlyAsync(IEnumerable<string> locations)
    {
        foreach (var location in locations)
        {
            try
            {
                await _table.IO.DeleteAsync(location, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Amazon.S3.AmazonS3Exception)
            {
                // An unreferenced file; orphan cleanup removes it later.
            }
        }
    }

    private async Task<(IndexCommitResult Result, PendingLog Log)> CommitResolutionAsync(LiveIndex live, ChangeResolution resolution, IndexBaseline? baseline, IReadOnlyDictionary<string, string> checkpoint, List<string> written, double resolveSeconds, bool renamesById, CancellationToken cancellationToken)
    {
        long phase = Stopwatch.GetTimestamp();
        var moved = resolution.Moved;
        var deletes = new List<PositionDelete>(moved.Count + resolution.Final.Count);
        var referencedFiles = new HashSet<int>();
        var records = new List<FileRecord>();
        var recordKeys = new List<UInt128>();
        var gone = new List<UInt128>(resolution.Final.Count);
        long upserted = 0, removed = 0;
        var renamedAway = resolution.MovedFrom.Values.ToHashSet(StringComparer.Ordinal);
        var log = new List<PendingLogRow>();
        var loggedDeletes = new List<(int Log, RowLocator At)>();
        var loggedInserts = new List<(int Log, string Id)>();

        // Rows a directory move took away: deleted where they are, by position (decision 0015).
        var carriedAway = new long[moved.Count];
        for (int i = 0; i < carriedAway.Length; i++)
        {
            var at = moved.At(i);
            carriedAway[i] = Packed(at);
            deletes.Add(new PositionDelete(live.File(at.File).Location, at.Position));
            referencedFiles.Add(at.File);
        }

        Array.Sort(carriedAway);

        // A moved row whose new path the set also names: a row the set writes there wins, and a
        // removal there gives way to the moved row (a directory moved onto one the set deleted).
        var final = new List<(string Path, PendingRow Row, UInt128 Key)>(resolution.Final.Count);
        var finalKeys = new Dictionary<UInt128, int>(resolution.Final.Count);
        foreach (var (path, row) in resolution.Final)
        {
            var key = PathKeyIndex.KeyOf(path);
            finalKeys[key] = final.Count;
            final.Add((path, row, key));
        }

        var givenWay = new HashSet<int>();
        for (int i = 0; i < moved.Count; i++)
        {
            if (finalKeys.TryGetValue(moved.Key(i), out int f))
            {
                if (final[f].Row.Exists)
                {
                    moved.Drop(i);
                }
                else
                {
                    givenWay.Add(f);
                }
            }
        }

        for (int f = 0; f < final.Count; f++)
        {
            if (givenWay.Contains(f))
            {
                continue;
            }

            var (path, row, key) = final[f];
            bool existed = live.Keys.TryGet(key, out var at, out long? sizeBefore);
            long? size = row.Record?.Size;

            // Gone from the table here, not carried to a new path by a rename.
            bool removedHere = existed && !row.Exists && !renamedAway.Contains(path);
            if (resolution.MovedFrom.TryGetValue(path, out var from) && live.Keys.TryGet(PathKeyIndex.KeyOf(from), out _, out long? sizeThere))
            {
                // Renamed (and refreshed) in the set, from a row the table had.
                log.Add(new PendingLogRow("rename", path, from, sizeThere, size));
            }
            else if (row.Exists)
            {
                if (!existed && row.Record?.Id is { } id)
                {
                    loggedInserts.Add((log.Count, id));
                }

                log.Add(new PendingLogRow(existed ? "update" : "insert", path, null, existed ? sizeBefore : null, size));
            }
            else if (removedHere)
            {
                loggedDeletes.Add((log.Count, at));
                log.Add(new PendingLogRow("delete", path, null, sizeBefore, null));
            }

            // A row moved away whose old path the set writes again is deleted once.
            if (existed && !IsCarriedAway(carriedAway, at))
            {
                deletes.Add(new PositionDelete(live.File(at.File).Location, at.Position));
                referencedFiles.Add(at.File);
            }

            if (row.Record is { } record)
            {
                records.Add(record);
                recordKeys.Add(record.Path == path ? key : PathKeyIndex.KeyOf(record.Path));
                upserted++;
            }
            else
            {
                gone.Add(key);
                if (removedHere)
                {
                    removed++;
                }
            }
        }

        // Rows a directory move carried: logged as renames from the moved rows themselves when
        // the log is written; a row the table had at the new path is replaced.
        for (int i = 0; i < moved.Count; i++)
        {
            if (moved.IsDropped(i))
            {
                continue;
            }

            if (live.Keys.TryGet(moved.Key(i), out var at) && !IsCarriedAway(carriedAway, at))
            {
                deletes.Add(new PositionDelete(live.File(at.File).Location, at.Position));
                referencedFiles.Add(at.File);
            }

            upserted++;
        }

        var (order, parts) = SortedRows(records, moved, PathChunkBytes);

        if (renamesById && loggedDeletes.Count > 0 && loggedInserts.Count > 0)
        {
            log = await PairRenamesByIdAsync(live, log, loggedDeletes, loggedInserts, cancellationToken).ConfigureAwait(false);
        }

        var referenced = referencedFiles.Select(id => live.File(id).Location).ToHashSet(StringComparer.Ordinal);
        var recordColumns = records.Count == 0 ? null : FileRecordColumns.ToColumns(records);
        double prepareSeconds = Stopwatch.GetElapsedTime(phase).TotalSeconds;
        phase = Stopwatch.GetTimestamp();
        var addedData = new List<DataFile>();
        var addedDeletes = new List<DataFile>();

        // The rows and the deletes are independent: written side by side. The rows go to one file,
        // or to one a part when their paths outgrow a chunk (a very large directory move).
        var dataLocals = new string[parts.Count];
        var dataTask = Task.Run<DataFile[]>(
            async () =>
            {
                var files = new DataFile[parts.Count];
                for (int k = 0; k < parts.Count; k++)
                {
                    var (local, location) = NewFile("-rows.parquet");
                    dataLocals[k] = local;
                    lock (written)
                    {
                        written.Add(location);
                    }

                    var part = parts[k];
                    var rows = new BatchRows(order, part.Start, records.Count, recordColumns, moved, part.Paths);
                    IndexDataFileWriter.Write(local, part.Paths.Count, rows.Column, cancellationToken);
                    files[k] = ParquetMetrics.Read(local, location, Schema, FullBoundColumns, FileContent.Data, SortOrder.OrderId);
                    await _table.IO.PublishAsync(local, location, cancellationToken).ConfigureAwait(false);
                }

                return files;
            },
            cancellationToken);
        var deleteTask = deletes.Count == 0 ? Task.FromResult<DataFile?>(null) : Task.Run<DataFile?>(
            async () =>
            {
                var (local, location) = NewFile("-deletes.parquet");
                lock (written)
                {
                    written.Add(location);
                }

                PositionDeleteFile.Write(local, deletes);
                var file = ParquetMetrics.Read(local, location, PositionDeleteFile.Schema, PositionDeleteFile.FullBoundColumns, FileContent.PositionDeletes);
                await _table.IO.PublishAsync(local, location, cancellationToken).ConfigureAwait(false);
                return file;
            },
            cancellationToken);
        addedData.AddRange(await dataTask.ConfigureAwait(false));

        if (await deleteTask.ConfigureAwait(false) is { } deleteFile)
        {
            addedDeletes.Add(deleteFile);
        }

        double writeSeconds = Stopwatch.GetElapsedTime(phase).TotalSeconds;
        phase = Stopwatch.GetTimestamp();
        var summary = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["qindex.rows-upserted"] = upserted.ToString(CultureInfo.InvariantCulture),
            ["qindex.rows-deleted"] = removed.ToString(CultureInfo.InvariantCulture),
        };
        AddBaseline(summary, baseline);
        foreach (var (key, value) in checkpoint)
        {
            summary[CheckpointPrefix + key] = value;
        }

        var snapshot = await _table.CommitAsync(
            new RowDelta
            {
                BaseSnapshotId = live.SnapshotId,
                AddedDataFiles = addedData,
                AddedDeleteFiles = addedDeletes,
                ReferencedDataFiles = referenced,
                Summary = summary,
                InheritSummary = key => key.StartsWith("qindex.", StringComparison.Ordinal)
                    && !key.StartsWith("qindex.rows-", StringComparison.Ordinal)
                    && (baseline is null || !SummaryKeys.IsBaselineKey(key))
                    && (checkpoint.Count == 0 || !key.StartsWith(CheckpointPrefix, StringComparison.Ordinal)),
            },
            cancellationToken).ConfigureAwait(false);

        double commitSeconds = Stopwatch.GetElapsedTime(phase).TotalSeconds;
        phase = Stopwatch.GetTimestamp();

        // The commit landed: bring the picture to the new snapshot without reading the table.
        for (int i = 0; i < moved.Count; i++)
        {
            live.Keys.Remove(moved.OldKey(i));
        }

        foreach (var key in gone)
        {
            live.Keys.Remove(key);
        }

        for (int k = 0; k < addedData.Count; k++)
        {
            var (start, paths) = parts[k];
            int id = live.AddFile(addedData[k]);
            for (int p = 0; p < paths.Count; p++)
            {
                int e = order[start + p];
                if (e < records.Count)
                {
                    live.Keys.Set(recordKeys[e], new RowLocator(id, p), records[e].Size);
                }
                else
                {
                    live.Keys.Set(moved.Key(e - records.Count), new RowLocator(id, p), moved.Size(e - records.Count));
                }
            }

            // A change set that moves a directory searches this file: its paths are at hand here,
            // so they are not read back from it. Only into room the cache has: evicting a file's
            // paths for these would trade a read for a read (seen under the default load at 1M
            // rows, where the live files' paths outgrow the bound).
            if (_pathsCache.HasRoomFor(paths.Utf8.Length + (4L * paths.Count)))
            {
                _pathsCache.Add(addedData[k].FilePath, new FilePaths(dataLocals[k], (paths.Utf8, paths.Ends)));
            }
        }

        live.SnapshotId = snapshot.SnapshotId;
        LastChangeTimings = new ChangeSetTimings(resolveSeconds, prepareSeconds, writeSeconds, commitSeconds, Stopwatch.GetElapsedTime(phase).TotalSeconds);
        var time = DateTimeOffset.FromUnixTimeMilliseconds(snapshot.TimestampMs);
        return (new IndexCommitResult(upserted, removed, snapshot.SnapshotId), new PendingLog(time, snapshot.SnapshotId, log, moved.Kept > 0 ? moved : null));
    }

    private static long Packed(RowLocator at) => ((long)at.File << 32) | (uint)at.Position;

    /// <summary>Whether the row at <paramref name="at"/> is among the rows a move carried away (<paramref name="carriedAway"/> sorted, as <see cref="Packed"/>).</summary>
    private static bool IsCarriedAway(long[] carriedAway, RowLocator at) => Array.BinarySearch(carriedAway, Packed(at)) >= 0;

    /// <summary>
    /// The order of the rows a change set writes, by path: entries below the records' count are
    /// records, the others moved rows (their index in <paramref name="moved"/> plus that count);
    /// and their paths as UTF-8 in that order, cut into consecutive parts of at most
    /// <paramref name="partBytes"/> of paths each (one data file a part; one part but for a very
    /// large move). Compared as bytes, which is the index's path order (<see cref="PathOrder"/>);
    /// no string is made of a moved row's path.
    /// </summary>
    private static (int[] Order, List<(int Start, Utf8Paths Paths)> Parts) SortedRows(List<FileRecord> records, MovedRows moved, int partBytes)
    {
        int r = records.Count;
        var recordEnds = new int[r];
        var recordUtf8 = new byte[records.Sum(x => (long)Encoding.UTF8.GetByteCount(x.Path))];
        for (int i = 0, length = 0; i < r; i++)
        {
            length += Encoding.UTF8.GetBytes(records[i].Path, recordUtf8.AsSpan(length));
            recordEnds[i] = length;
        }

        var recordPaths = new Utf8Paths(recordUtf8, recordEnds);
        var order = new int[r + moved.Kept];
        for (int i = 0; i < r; i++)
        {
            order[i] = i;
        }

        for (int i = 0, k = r; i < moved.Count; i++)
        {
            if (!moved.IsDropped(i))
            {
                order[k++] = r + i;
            }
        }

        Array.Sort(order, new EntryOrder(recordPaths, moved));
        ReadOnlySpan<byte> PathAt(int p) => order[p] < r ? recordPaths[order[p]] : moved.PathUtf8(order[p] - r);
        var parts = new List<(int Start, Utf8Paths Paths)>();
        for (int start = 0; start < order.Length;)
        {
            // The part ends before the path that would take it past its bound (it holds one at least).
            long bytes = PathAt(start).Length;
            int end = start + 1;
            for (int next; end < order.Length && bytes + (next = PathAt(end).Length) <= partBytes; end++)
            {
                bytes += next;
            }

            var utf8 = new byte[bytes];
            var ends = new int[end - start];
            for (int p = start, length = 0; p < end; p++)
            {
                var path = PathAt(p);
                path.CopyTo(utf8.AsSpan(length));
                length += path.Length;
                ends[p - start] = length;
            }

            parts.Add((start, new Utf8Paths(utf8, ends)));
            start = end;
        }

        return (order, parts);
    }

    /// <summary>Orders <see cref="SortedRows"/>' entries by their paths' UTF-8 bytes.</summary>
    private sealed class EntryOrder(Utf8Paths records, MovedRows moved) : IComparer<int>
    {
        public int Compare(int x, int y) => PathOf(x).SequenceCompareTo(PathOf(y));

        private ReadOnlySpan<byte> PathOf(int entry) => entry < records.Count ? records[entry] : moved.PathUtf8(entry - records.Count);
    }

    /// <summary>
    /// A change set's rows in path order (<see cref="SortedRows"/>), handed to the data file's
    /// writer column by column: paths from the sorted UTF-8, a moved directory's own name from its
    /// new path, every other value copied from the arrays each row sits in (the batch's records'
    /// columns, or the arrays a moved row was read into).
    /// </summary>
    /// <remarks>One part of them (<paramref name="first"/> the part's first entry in <paramref name="order"/>, <paramref name="paths"/> its paths): rows are numbered from the part's start.</remarks>
    private sealed class BatchRows(int[] order, int first, int recordCount, Array[]? recordColumns, MovedRows moved, Utf8Paths paths)
    {
        /// <summary>The values of column <paramref name="column"/> (its position in <see cref="IndexColumns.All"/>) for the sorted rows [start, start + count).</summary>
        public object Column(int column, int start, int count)
        {
            if (column == 0)
            {
                return paths.Window(start, count);
            }

            return IndexColumns.All[column].Kind switch
            {
                ColumnKind.String => new StringColumn(order, first, recordCount, (string?[]?)recordColumns?[column], moved, paths, column, start, count),
                ColumnKind.Int32 => Gather<int?>(column, start, count),
                ColumnKind.Int64 or ColumnKind.TimestampTz => Gather<long?>(column, start, count),
                ColumnKind.Boolean => Gather<bool?>(column, start, count),
                _ => throw new InvalidOperationException($"unhandled column kind {IndexColumns.All[column].Kind}"),
            };
        }

        /// <summary>One buffer per element type, reused column after column: the writer is done with a column before it asks for the next.</summary>
        private readonly Dictionary<Type, Array> _buffers = [];

        private ColumnValues Gather<T>(int column, int start, int count)
        {
            if (!_buffers.TryGetValue(typeof(T), out var buffer) || buffer.Length < count)
            {
                _buffers[typeof(T)] = buffer = new T[Math.Max(count, Math.Min(order.Length, IndexDataFileWriter.RowGroupRows))];
            }

            var values = (T[])buffer;
            var fromRecords = (T[]?)recordColumns?[column];
            for (int i = 0; i < count; i++)
            {
                int entry = order[first + start + i];
                if (entry < recordCount)
                {
                    values[i] = fromRecords![entry];
                    continue;
                }

                var (columns, index) = moved.Values(entry - recordCount);
                values[i] = ((T[])columns[column])[index];
            }

            return new ColumnValues(values, count);
        }

        /// <summary>
        /// A string column of the sorted rows [start, start + count) as the UTF-8 writer takes it:
        /// records' strings encoded, moved rows' values copied as the UTF-8 they were read as (or
        /// encoded, in columns read as strings), a moved directory's own name from its new path.
        /// </summary>
        private sealed class StringColumn(int[] order, int first, int recordCount, string?[]? records, MovedRows moved, Utf8Paths paths, int column, int start, int count) : IUtf8Values
        {
            public int Count => count;

            public int ByteCount(int i) =>
                IsNull(i, out var text, out var utf8) ? -1 : text is not null ? Encoding.UTF8.GetByteCount(text) : utf8.Length;

            public int Write(int i, Span<byte> into)
            {
                IsNull(i, out var text, out var utf8);
                if (text is not null)
                {
                    return Encoding.UTF8.GetBytes(text, into);
                }

                utf8.CopyTo(into);
                return utf8.Length;
            }

            /// <summary>Value <paramref name="i"/>: a string, or (when <paramref name="text"/> is null) its UTF-8; true when absent.</summary>
            private bool IsNull(int i, out string? text, out ReadOnlySpan<byte> utf8)
            {
                utf8 = default;
                int entry = order[first + start + i];
                if (entry < recordCount)
                {
                    text = records![entry];
                    return text is null;
                }

                int m = entry - recordCount;
                if (column == 1 && moved.Renamed(m))
                {
                    text = ChangeOverlay.NameOf(Encoding.UTF8.GetString(paths[start + i]));
                    return false;
                }

                var (columns, index) = moved.Values(m);
                if (Utf8Strings.Of(columns[column]) is { } held)
                {
                    text = null;
                    utf8 = held[index];
                    return held.IsNull(index);
                }

                text = ((string?[])columns[column])[index];
                return text is null;
            }
        }
    }

    private static void AddBaseline(Dictionary<string, string> summary, IndexBaseline? baseline)
    {
        if (baseline is null)
        {
            return;
        }

        summary[SummaryKeys.ClusterHost] = baseline.ClusterHost;
        summary[SummaryKeys.RootPath] = baseline.RootPath;
        if (baseline.ClusterSnapshotId is not null)
        {
            summary[SummaryKeys.ClusterSnapshotId] = baseline.ClusterSnapshotId;
        }

        summary[SummaryKeys.BaselineTaken] = baseline.Taken.ToString("O", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Applies the changes in order, against the snapshot <paramref name="live"/> pictures: first
    /// to a <see cref="ChangeOverlay"/> (no reads), then the snapshot rows its plan names are found,
    /// the moved ones read whole, each file once.
    /// </summary>
    private async Task<ChangeResolution> ResolveAsync(LiveIndex live, IReadOnlyList<IndexChange> changes, CancellationToken cancellationToken)
    {
        var overlay = new ChangeOverlay();
        foreach (var change in changes)
        {
            overlay.Apply(change);
        }

        var plan = overlay.Plan();
        var resolution = new ChangeResolution(Interlocked.Exchange(ref _spareMoved, null) ?? new MovedRows(PathChunkBytes));

        // Paths of files a compaction or an earlier set replaced are never searched again, nor
        // the rows of live files that earlier sets moved away or deleted.
        _pathsCache.KeepOnly(live.Files.Select(f => f.File.Location).ToHashSet(StringComparer.Ordinal));
        _pathsCache.KeepLiveRows(live);
        var files = new Dictionary<int, FilePaths>();
        foreach (var path in plan.RemovePaths)
        {
            resolution.Set(path, null);
        }

        // Rows a directory move carries are handled as their stored UTF-8 paths: the old path
        // never becomes a string, the new one is written once as UTF-8 from the target and the
        // old path's tail, and both keys are hashed from bytes (decisions 0015 and 0017).
        var moved = resolution.Moved;
        foreach (var root in plan.Roots)
        {
            var prefix = root.OriginUtf8;
            foreach (var (id, paths) in await FilesUnderAsync(live, prefix, files, resolution, cancellationToken).ConfigureAwait(false))
            {
                var (start, end) = paths.RangeOf(prefix);
                for (int i = start; i < end; i++)
                {
                    var utf8 = paths.Utf8At(i);
                    if (!utf8.StartsWith(prefix))
                    {
                        continue;
                    }

                    // Only the snapshot's live row at this path: not one deleted, or superseded by a later file.
                    var key = PathKeyIndex.KeyOf(utf8);
                    var at = new RowLocator(id, paths.Position(i));
                    if (!live.Keys.TryGet(key, out var current) || current != at)
                    {
                        continue;
                    }

                    var region = root.Except is null
                        ? (utf8.Length > prefix.Length || root.IncludeSelf ? root : null)
                        : ChangeOverlay.Owner(root, utf8);
                    if (region is null)
                    {
                        continue;
                    }

                    if (region.Target is null)
                    {
                        resolution.Set(paths.PathAt(i), null);
                        continue;
                    }

                    moved.Add(at, key, region, utf8[region.OriginUtf8.Length..]);
                }
            }
        }

        await ReadMovedValuesAsync(moved, files, resolution, cancellationToken).ConfigureAwait(false);
        foreach (var add in plan.Add)
        {
            resolution.Set(add.Path, add.Row);
            if (add.From is not null)
            {
                resolution.MovedFrom[add.Path] = add.From;
            }
        }

        return resolution;
    }

    /// <summary>
    /// The log with each insert whose file id is that of a row the set deletes turned into a
    /// rename from that row, and the delete dropped: a snapshot difference reports a rename as a
    /// DELETE and a CREATE, and the cluster keeps a file's id through a rename. The deleted rows'
    /// ids come from the kept id columns (read for the files that lack one).
    /// </summary>
    private async Task<List<PendingLogRow>> PairRenamesByIdAsync(LiveIndex live, List<PendingLogRow> log, List<(int Log, RowLocator At)> deletes, List<(int Log, string Id)> inserts, CancellationToken cancellationToken)
    {
        DropStaleIdColumns(live);
        var columns = new Dictionary<int, ulong[]>();
        foreach (var file in deletes.Select(d => d.At.File).Distinct())
        {
            string location = live.File(file).Location;
            ulong[]? column;
            lock (_idColumns)
            {
                column = _idColumns.GetValueOrDefault(location);
            }

            if (column is null)
            {
                column = DataFileRows.ReadIds(await _table.IO.GetLocalCopyAsync(location, CacheDirectory, cancellationToken).ConfigureAwait(false));
                lock (_idColumns)
                {
                    _idColumns[location] = column;
                }
            }

            columns[file] = column;
        }

        var deletedById = new Dictionary<ulong, int>();
        foreach (var (index, at) in deletes)
        {
            ulong id = columns[at.File][at.Position];
            if (id != DataFileRows.NoId)
            {
                deletedById.TryAdd(id, index);
            }
        }

        var paired = new HashSet<int>();
        foreach (var (index, id) in inserts)
        {
            if (deletedById.Remove(DataFileRows.ParseId(id), out var deleted))
            {
                var (insert, gone) = (log[index], log[deleted]);
                log[index] = insert with { Kind = "rename", PreviousPath = gone.Path, SizeBefore = gone.SizeBefore };
                paired.Add(deleted);
            }
        }

        return paired.Count == 0 ? log : log.Where((_, i) => !paired.Contains(i)).ToList();
    }

    /// <summary>
    /// The snapshot's files that may hold paths starting with <paramref name="prefixUtf8"/> (by
    /// their bounds), each with its paths by position: from this change set's reads, the paths
    /// cache, or read now, side by side.
    /// </summary>
    private async Task<List<(int Id, FilePaths Paths)>> FilesUnderAsync(LiveIndex live, byte[] prefixUtf8, Dictionary<int, FilePaths> files, ChangeResolution resolution, CancellationToken cancellationToken)
    {
        string prefix = Encoding.UTF8.GetString(prefixUtf8);
        var candidates = live.Files.Where(f => f.File.MayHoldPrefix(prefix)).ToList();
        var unread = new List<(int Id, string Local, string Location)>();
        foreach (var (id, file) in candidates)
        {
            if (files.ContainsKey(id))
            {
                continue;
            }

            // The local copy is asked for again: a downloaded one may have been cleaned up since.
            string local = await _table.IO.GetLocalCopyAsync(file.Location, CacheDirectory, cancellationToken).ConfigureAwait(false);
            if (_pathsCache.TryGet(file.Location) is { } cached)
            {
                files[id] = cached.At(local);
                continue;
            }

            unread.Add((id, local, file.Location));
        }

        // Files not read yet in this change set are read side by side.
        long readStarted = Stopwatch.GetTimestamp();
        var read = new FilePaths[unread.Count];
        await Parallel.ForAsync(0, unread.Count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, (i, _) =>
        {
            read[i] = new FilePaths(unread[i].Local, DataFileRows.ReadPathsUtf8(unread[i].Local));
            return ValueTask.CompletedTask;
        }).ConfigureAwait(false);
        for (int i = 0; i < unread.Count; i++)
        {
            files[unread[i].Id] = read[i];
            _pathsCache.Add(unread[i].Location, read[i]);
        }

        if (unread.Count > 0)
        {
            var (f, p, t) = resolution.PathsRead;
            resolution.PathsRead = (f + unread.Count, p + read.Sum(r => (long)r.Count), t + Stopwatch.GetElapsedTime(readStarted).TotalSeconds);
        }

        return candidates.ConvertAll(c => (c.Id, files[c.Id]));
    }

    /// <summary>The values of the moved rows, each file read once and side by side, only at the wanted positions.</summary>
    private static async Task ReadMovedValuesAsync(MovedRows moved, Dictionary<int, FilePaths> files, ChangeResolution resolution, CancellationToken cancellationToken)
    {
        if (moved.Count == 0)
        {
            return;
        }

        var work = moved.PositionsByFile().ToList();
        var slots = new Dictionary<int, int>(work.Count);
        for (int i = 0; i < work.Count; i++)
        {
            slots[work[i].Key] = i;
        }

        var read = new (Array[] Columns, int Index)[work.Count][];
        long rowsStarted = Stopwatch.GetTimestamp();
        await Parallel.ForAsync(0, work.Count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, (i, token) =>
        {
            var (id, positions) = work[i];
            read[i] = DataFileRows.ReadRows(files[id].Local, positions, token);
            return ValueTask.CompletedTask;
        }).ConfigureAwait(false);
        for (int i = 0; i < moved.Count; i++)
        {
            var at = moved.At(i);
            int slot = slots[at.File];
            var (columns, index) = read[slot][Array.BinarySearch(work[slot].Value, at.Position)];
            moved.SetValues(i, columns, index);
        }

        resolution.RowsRead = (moved.Count, Stopwatch.GetElapsedTime(rowsStarted).TotalSeconds);
    }

    /// <summary>
    /// One data file's paths by position, read once per change set. Files qindex writes are sorted
    /// by <see cref="PathOrder"/>, so the paths under a prefix are one run found by binary search;
    /// a file written in arrival order (an import before compaction) is scanned whole.
    /// </summary>
    internal sealed class FilePaths
    {
        private readonly byte[] _utf8;
        private readonly int[] _ends;

        // The row position of each path kept, ascending; null when every row's path is kept.
        private readonly int[]? _positions;

        /// <summary>Paths given as strings.</summary>
        public FilePaths(string local, string[] paths)
            : this(local, Encode(paths))
        {
        }

        /// <summary>Paths as UTF-8 in one buffer: row i's bytes end at <paramref name="read"/>.Ends[i].</summary>
        public FilePaths(string local, (byte[] Utf8, int[] Ends) read)
        {
            Local = local;
            (_utf8, _ends) = read;
            Sorted = true;
            for (int i = 1; i < _ends.Length && Sorted; i++)
            {
                // UTF-8 byte order is the index's path order (PathOrder).
                Sorted = Utf8At(i - 1).SequenceCompareTo(Utf8At(i)) <= 0;
            }

            // The bytes, an offset a row, and the two arrays' headers.
            Bytes = _utf8.Length + (4L * _ends.Length) + 64;
        }

        private FilePaths(string local, FilePaths other)
        {
            Local = local;
            _utf8 = other._utf8;
            _ends = other._ends;
            _positions = other._positions;
            Sorted = other.Sorted;
            Bytes = other.Bytes;
            GoneBefore = other.GoneBefore;
        }

        private FilePaths(string local, byte[] utf8, int[] ends, int[] positions, bool sorted, long goneBefore)
        {
            Local = local;
            (_utf8, _ends, _positions) = (utf8, ends, positions);
            Sorted = sorted;
            Bytes = _utf8.Length + (8L * _ends.Length) + 96;
            GoneBefore = goneBefore;
        }

        /// <summary>About how much memory the paths take.</summary>
        public long Bytes { get; }

        /// <summary>Rows of the file gone from the key index when these paths were kept (<see cref="PathKeyIndex.GoneFrom"/>); 0 when all are kept.</summary>
        public long GoneBefore { get; }

        /// <summary>True when only some rows' paths are kept (<see cref="LiveOnly"/>).</summary>
        public bool IsLiveOnly => _positions is not null;

        /// <summary>The row position of kept path <paramref name="i"/>.</summary>
        public int Position(int i) => _positions is null ? i : _positions[i];

        /// <summary>The path at row <paramref name="position"/>, or null when it was left out as gone.</summary>
        public string? PathAtPosition(int position)
        {
            if (_positions is null)
            {
                return PathAt(position);
            }

            int i = Array.BinarySearch(_positions, position);
            return i >= 0 ? PathAt(i) : null;
        }

        /// <summary>
        /// These paths without the rows <paramref name="keys"/> no longer points at in data file
        /// <paramref name="file"/>: a file most of whose rows moved away or were deleted is still
        /// searched (its live rows) until a compaction replaces it, and its dead rows took most of
        /// the paths cache's bound under the default load at 1M rows, so live files' paths were
        /// evicted and read back a batch.
        /// </summary>
        public FilePaths LiveOnly(int file, PathKeyIndex keys)
        {
            // Which kept paths are live, and their bytes, first: the arrays are then made once, to size.
            var live = new List<int>();
            long bytes = 0;
            for (int i = 0; i < Count; i++)
            {
                var path = Utf8At(i);
                if (keys.TryGet(PathKeyIndex.KeyOf(path), out var at) && at == new RowLocator(file, Position(i)))
                {
                    live.Add(i);
                    bytes += path.Length;
                }
            }

            var utf8 = new byte[bytes];
            var ends = new int[live.Count];
            var positions = new int[live.Count];
            int length = 0;
            for (int k = 0; k < live.Count; k++)
            {
                var path = Utf8At(live[k]);
                path.CopyTo(utf8.AsSpan(length));
                length += path.Length;
                ends[k] = length;
                positions[k] = Position(live[k]);
            }

            return new FilePaths(Local, utf8, ends, positions, Sorted, keys.GoneFrom(file));
        }

        /// <summary>The same paths, read from the local copy at <paramref name="local"/>.</summary>
        public FilePaths At(string local) => local == Local ? this : new FilePaths(local, this);

        /// <summary>The local copy the paths were read from.</summary>
        public string Local { get; }

        /// <summary>Paths kept: the file's rows, or its live rows after <see cref="LiveOnly"/>.</summary>
        public int Count => _ends.Length;

        public bool Sorted { get; }

        /// <summary>The UTF-8 bytes of kept path <paramref name="i"/> (the row at <see cref="Position"/>(i)).</summary>
        public ReadOnlySpan<byte> Utf8At(int i) =>
            _utf8.AsSpan(i == 0 ? 0 : _ends[i - 1], _ends[i] - (i == 0 ? 0 : _ends[i - 1]));

        /// <summary>Kept path <paramref name="i"/>.</summary>
        public string PathAt(int i) => Encoding.UTF8.GetString(Utf8At(i));

        /// <summary>Kept paths [start, end) that may start with <paramref name="prefix"/> (UTF-8).</summary>
        public (int Start, int End) RangeOf(ReadOnlySpan<byte> prefix)
        {
            if (!Sorted)
            {
                return (0, Count);
            }

            // Every path that starts with the prefix sorts at or after it, and they are contiguous.
            int low = 0, high = Count;
            while (low < high)
            {
                int mid = (low + high) >>> 1;
                if (Utf8At(mid).SequenceCompareTo(prefix) < 0)
                {
                    low = mid + 1;
                }
                else
                {
                    high = mid;
                }
            }

            int end = low;
            while (end < Count && Utf8At(end).StartsWith(prefix))
            {
                end++;
            }

            return (low, end);
        }

        private static (byte[] Utf8, int[] Ends) Encode(string[] paths)
        {
            var ends = new int[paths.Length];
            var utf8 = new byte[paths.Sum(p => Encoding.UTF8.GetByteCount(p))];
            int length = 0;
            for (int i = 0; i < paths.Length; i++)
            {
                length += Encoding.UTF8.GetBytes(paths[i], utf8.AsSpan(length));
                ends[i] = length;
            }

            return (utf8, ends);
        }
    }

    /// <summary>
    /// Keeps the paths of data files a compaction just committed, as it wrote them, where the
    /// paths cache has room once the files <paramref name="live"/> no longer holds are dropped.
    /// The caller holds the write lock.
    /// </summary>
    internal void SeedPaths(LiveIndex live, IEnumerable<(DataFile File, string Local, (byte[] Utf8, int[] Ends)? Paths)> written)
    {
        _pathsCache.KeepOnly(live.Files.Select(f => f.File.Location).ToHashSet(StringComparer.Ordinal));
        foreach (var (file, local, paths) in written)
        {
            if (paths is { } p && p.Ends.Length == file.RecordCount && _pathsCache.HasRoomFor(p.Utf8.Length + (4L * p.Ends.Length)))
            {
                _pathsCache.Add(file.FilePath, new FilePaths(local, p));
            }
        }
    }

    /// <summary>
    /// Data files' paths kept from one change set to the next, least recently used first out:
    /// data files never change, and a watcher's batches search the same files (the large compacted
    /// one above all) again and again; reading a million paths cost about half a second a batch.
    /// Bounded by the bytes the paths take: a churned tree grows deep, and at 100k rows a gigabyte
    /// of paths over 1 KB each was seen when the bound was a count of paths. Files no longer live
    /// are dropped at each change set: a watcher's batches and compactions replace small files all
    /// the time, and at 10M rows their paths filled the bound within ten minutes, most of the
    /// managed heap's growth over a run. A file more than half of whose rows are gone keeps only
    /// its live rows' paths, and a compaction's files come with the paths it wrote (decision 0019).
    /// </summary>
    internal sealed class FilePathsCache(long maxBytes)
    {
        private readonly Dictionary<string, LinkedListNode<(string Location, FilePaths Paths)>> _entries = new(StringComparer.Ordinal);
        private readonly LinkedList<(string Location, FilePaths Paths)> _order = new();
        private long _held;

        /// <summary>Bytes held now.</summary>
        public long Held => _held;

        /// <summary>True when about <paramref name="bytes"/> more fit without evicting anything.</summary>
        public bool HasRoomFor(long bytes) => _held + bytes <= maxBytes;

        public FilePaths? TryGet(string location)
        {
            if (!_entries.TryGetValue(location, out var node))
            {
                return null;
            }

            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value.Paths;
        }

        /// <summary>Drops every file not in <paramref name="locations"/>.</summary>
        public void KeepOnly(IReadOnlySet<string> locations)
        {
            for (var node = _order.First; node is not null;)
            {
                var next = node.Next;
                if (!locations.Contains(node.Value.Location))
                {
                    _order.Remove(node);
                    _entries.Remove(node.Value.Location);
                    _held -= node.Value.Paths.Bytes;
                }

                node = next;
            }
        }

        /// <summary>Drops every file whose paths were cut to its live rows.</summary>
        public void DropLiveOnly()
        {
            for (var node = _order.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Paths.IsLiveOnly)
                {
                    _order.Remove(node);
                    _entries.Remove(node.Value.Location);
                    _held -= node.Value.Paths.Bytes;
                }

                node = next;
            }
        }

        /// <summary>Keeps only the live rows' paths of each file more than half of whose kept rows are gone (<see cref="FilePaths.LiveOnly"/>).</summary>
        public void KeepLiveRows(LiveIndex live)
        {
            foreach (var (id, file) in live.Files)
            {
                if (_entries.TryGetValue(file.Location, out var node) && live.Keys.GoneFrom(id) - node.Value.Paths.GoneBefore > node.Value.Paths.Count / 2)
                {
                    var kept = node.Value.Paths.LiveOnly(id, live.Keys);
                    _held += kept.Bytes - node.Value.Paths.Bytes;
                    node.Value = (file.Location, kept);
                }
            }
        }

        public void Add(string location, FilePaths paths)
        {
            if (paths.Bytes > maxBytes || _entries.ContainsKey(location))
            {
                return;
            }

            _entries[location] = _order.AddFirst((location, paths));
            _held += paths.Bytes;
            while (_held > maxBytes && _order.Last is { } oldest)
            {
                _order.RemoveLast();
                _entries.Remove(oldest.Value.Location);
                _held -= oldest.Value.Paths.Bytes;
            }
        }
    }

    /// <summary>A change set: changes collected in order, resolved and committed by the store.</summary>
    private sealed class ChangeSet(IcebergIndexStore store) : IIndexChangeSet
    {
        private readonly List<IndexChange> _changes = [];
        private int _notes;
        private bool _renamesById;
        private bool _done;

        public int Count => _changes.Count - _notes;

        public void Upsert(FileRecord record)
        {
            ArgumentNullException.ThrowIfNull(record);
            Add(new IndexChange(IndexChangeKind.Upsert, CheckPath(record.Path), Record: record));
        }

        public void Delete(string path) => Add(new IndexChange(IndexChangeKind.Delete, CheckPath(path)));

        public void DeleteSubtree(string directoryPath) => Add(new IndexChange(IndexChangeKind.DeleteSubtree, CheckDirectory(directoryPath)));

        public void MoveSubtree(string oldDirectoryPath, string newDirectoryPath)
        {
            string from = CheckDirectory(oldDirectoryPath), to = CheckDirectory(newDirectoryPath);
            if (from != to && (to.StartsWith(from, StringComparison.Ordinal) || from.StartsWith(to, StringComparison.Ordinal)))
            {
                throw new ArgumentException($"cannot move '{from}' to '{to}': one is inside the other");
            }

            Add(new IndexChange(IndexChangeKind.MoveSubtree, from, to));
        }

        public void NoteRename(string oldPath, string newPath)
        {
            Add(new IndexChange(IndexChangeKind.NoteRename, CheckPath(oldPath), CheckPath(newPath)));
            _notes++;
        }

        public void LogRenamesById() => _renamesById = true;

        public async Task<IndexCommitResult> CommitAsync(IndexBaseline? baseline, IReadOnlyDictionary<string, string> checkpoint, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(checkpoint);
            ObjectDisposedException.ThrowIf(_done, this);
            var result = await store.CommitChangesAsync(_changes, baseline, checkpoint, _renamesById, cancellationToken).ConfigureAwait(false);
            _done = true;
            return result;
        }

        public ValueTask DisposeAsync()
        {
            _done = true;
            return ValueTask.CompletedTask;
        }

        private void Add(IndexChange change)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            _changes.Add(change);
        }

        private static string CheckPath(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            if (path[0] != '/')
            {
                throw new ArgumentException($"index paths are absolute: '{path}' does not start with '/'", nameof(path));
            }

            return path;
        }

        private static string CheckDirectory(string path)
        {
            CheckPath(path);
            if (path[^1] != '/')
            {
                throw new ArgumentException($"a directory path ends with '/': '{path}'", nameof(path));
            }

            return path;
        }
    }
}
