using System.Globalization;
using System.Security.Cryptography;
using Polly;
using Polly.Retry;
using Qindex.Iceberg.Catalog;
using Qindex.Iceberg.IO;
using Qindex.Iceberg.Spec;

namespace Qindex.Iceberg.Table;

/// <summary>
/// A change to a table's files, committed as one snapshot: files added, and either every live
/// file or the named ones removed.
/// </summary>
public sealed record FileChange
{
    /// <summary>Data and delete files to add (their content decides which manifest they go in).</summary>
    public IReadOnlyList<DataFile> Added { get; init; } = [];

    /// <summary>Remove every file live in the base snapshot (a full replace).</summary>
    public bool RemoveAll { get; init; }

    /// <summary>Locations of live files to remove (a rewrite or a compaction).</summary>
    public IReadOnlySet<string> Removed { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Extra snapshot summary properties.</summary>
    public IReadOnlyDictionary<string, string> Summary { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Which of the parent snapshot's summary properties carry forward when <see cref="Summary"/>
    /// does not set them (decided against the parent the commit actually lands on).
    /// </summary>
    public Func<string, bool>? InheritSummary { get; init; }
}

/// <summary>What snapshot expiry removed.</summary>
public sealed record ExpiryResult(int SnapshotsRemoved, int FilesDeleted);

/// <summary>
/// An Iceberg table: its catalog entry, current metadata and FileIO, and the operations qindex
/// performs on it: commit a <see cref="FileChange"/> with optimistic concurrency, read the live
/// files, expire snapshots.
/// </summary>
public sealed class IcebergTable : IDisposable
{
    /// <summary>How often a commit is rebuilt on a newer base before giving up.</summary>
    public const int MaxCommitAttempts = 10;

    private readonly ICatalog _catalog;
    private readonly TimeProvider _time;
    private LoadedTable _loaded;

    private IcebergTable(ICatalog catalog, TableIdentifier identifier, LoadedTable loaded, TimeProvider time)
    {
        _catalog = catalog;
        Identifier = identifier;
        _loaded = loaded;
        _time = time;
        IO = FileIOFactory.For(loaded.Metadata.Location);
    }

    public TableIdentifier Identifier { get; }

    public TableMetadata Metadata => _loaded.Metadata;

    public string MetadataLocation => _loaded.MetadataLocation;

    public IFileIO IO { get; }

    /// <summary>Loads the table, creating it with <paramref name="schema"/> when it does not exist.</summary>
    public static async Task<IcebergTable> LoadOrCreateAsync(ICatalog catalog, TableIdentifier identifier, Schema schema, SortOrder sortOrder, IReadOnlyDictionary<string, string> properties, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var loaded = await catalog.LoadTableAsync(identifier, cancellationToken).ConfigureAwait(false)
            ?? await catalog.CreateTableAsync(identifier, schema, sortOrder, properties, cancellationToken).ConfigureAwait(false);
        return new IcebergTable(catalog, identifier, loaded, time ?? TimeProvider.System);
    }

    /// <summary>Loads the table, or returns null when the catalog has no such table.</summary>
    public static async Task<IcebergTable?> LoadAsync(ICatalog catalog, TableIdentifier identifier, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var loaded = await catalog.LoadTableAsync(identifier, cancellationToken).ConfigureAwait(false);
        return loaded is null ? null : new IcebergTable(catalog, identifier, loaded, time ?? TimeProvider.System);
    }

    /// <summary>Re-reads the current metadata from the catalog.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        _loaded = await _catalog.LoadTableAsync(Identifier, cancellationToken).ConfigureAwait(false)
            ?? throw new IcebergException($"table {Identifier} no longer exists");
    }

    /// <summary>Where a new data file named <paramref name="fileName"/> belongs.</summary>
    public string NewDataLocation(string fileName) => FileIOFactory.Combine(Metadata.Location, "data/" + fileName);

    /// <summary>The manifests of <paramref name="snapshot"/>.</summary>
    public async Task<IReadOnlyList<ManifestFile>> ReadManifestListAsync(Snapshot snapshot, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return Manifest.ReadList(await IO.ReadAllBytesAsync(snapshot.ManifestList, cancellationToken).ConfigureAwait(false), snapshot.ManifestList);
    }

    /// <summary>The entries of one manifest.</summary>
    public async Task<IReadOnlyList<ManifestEntry>> ReadManifestAsync(ManifestFile manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Manifest.Read(await IO.ReadAllBytesAsync(manifest.ManifestPath, cancellationToken).ConfigureAwait(false), manifest.ManifestPath);
    }

    /// <summary>The live (added or existing) entries of <paramref name="snapshot"/>, or of the current snapshot.</summary>
    public async Task<IReadOnlyList<ManifestEntry>> LiveEntriesAsync(CancellationToken cancellationToken, Snapshot? snapshot = null)
    {
        snapshot ??= Metadata.CurrentSnapshot;
        if (snapshot is null)
        {
            return [];
        }

        var live = new List<ManifestEntry>();
        foreach (var manifest in await ReadManifestListAsync(snapshot, cancellationToken).ConfigureAwait(false))
        {
            live.AddRange((await ReadManifestAsync(manifest, cancellationToken).ConfigureAwait(false)).Where(e => e.Status != ManifestEntryStatus.Deleted));
        }

        return live;
    }

    /// <summary>
    /// Commits <paramref name="change"/> as one snapshot. When another writer commits first, the
    /// manifests are rebuilt on the new state and the commit retried, up to <see cref="MaxCommitAttempts"/> times.
    /// </summary>
    public Task<Snapshot> CommitAsync(FileChange change, CancellationToken cancellationToken) =>
        CommitCoreAsync(change, null, cancellationToken);

    /// <summary>
    /// Commits <paramref name="operation"/> as one snapshot. When another writer commits first, the
    /// operation checks that its assumptions still hold on the new state (a row delta, that the
    /// files it deletes from are still live; a rewrite, that no new delete targets a file it
    /// removes), then its manifests are rebuilt and the commit retried.
    /// </summary>
    /// <exception cref="CommitValidationException">A concurrent commit invalidated the operation; rebuild it on the new state.</exception>
    public Task<Snapshot> CommitAsync(SnapshotOperation operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return CommitCoreAsync(operation.ToFileChange(), operation, cancellationToken);
    }

    private async Task<Snapshot> CommitCoreAsync(FileChange change, SnapshotOperation? operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        int attempt = 0;
        return await CommitRetry.ExecuteAsync(
            async token =>
            {
                if (attempt++ > 0)
                {
                    await RefreshAsync(token).ConfigureAwait(false);
                }

                if (operation is not null && Metadata.CurrentSnapshotId != operation.BaseSnapshotId)
                {
                    await operation.ValidateAsync(this, token).ConfigureAwait(false);
                }

                var written = new List<string>();
                bool sent = false;
                try
                {
                    var (snapshot, updates) = await PrepareAsync(change, written, token).ConfigureAwait(false);
                    sent = true;
                    _loaded = await _catalog.CommitAsync(Identifier, _loaded, updates, token).ConfigureAwait(false);
                    return snapshot;
                }
                catch (Exception e) when (!sent || e is CommitConflictException)
                {
                    // Nothing references the files written for this attempt. After any other failure
                    // of the catalog call the commit may have landed (a lost answer), so the files are
                    // left in place: an orphan costs disk, a deleted manifest would break the table.
                    await DeleteQuietlyAsync(written).ConfigureAwait(false);
                    throw;
                }
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The one retry policy for commits: a conflict (another writer committed first) is retried on
    /// the new state with exponential backoff and jitter; anything else fails at once.
    /// </summary>
    private static readonly ResiliencePipeline CommitRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<CommitConflictException>(),
            MaxRetryAttempts = MaxCommitAttempts - 1,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(25),
            MaxDelay = TimeSpan.FromSeconds(2),
        })
        .Build();

    /// <summary>
    /// The snapshots committed after <paramref name="baseSnapshotId"/> on the main branch, newest
    /// first. Fails when the base is no longer an ancestor of the current snapshot (expired, or the
    /// branch was reset), because then what happened since cannot be known.
    /// </summary>
    public IReadOnlyList<Snapshot> SnapshotsSince(long? baseSnapshotId)
    {
        var byId = Metadata.Snapshots.ToDictionary(s => s.SnapshotId);
        var result = new List<Snapshot>();
        long? id = Metadata.CurrentSnapshotId;
        while (id != baseSnapshotId)
        {
            if (id is null || !byId.TryGetValue(id.Value, out var snapshot))
            {
                throw new CommitValidationException($"snapshot {baseSnapshotId} is no longer an ancestor of the current snapshot; the operation must be rebuilt on the current state");
            }

            result.Add(snapshot);
            id = snapshot.ParentSnapshotId;
        }

        return result;
    }

    private async Task DeleteQuietlyAsync(IEnumerable<string> locations)
    {
        foreach (string location in locations)
        {
            try
            {
                await IO.DeleteAsync(location, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or Amazon.S3.AmazonS3Exception)
            {
                // An orphan manifest is harmless: nothing references it.
            }
        }
    }

    private async Task<(Snapshot Snapshot, IReadOnlyList<TableUpdate> Updates)> PrepareAsync(FileChange change, List<string> written, CancellationToken cancellationToken)
    {
        var metadata = Metadata;
        var parent = metadata.CurrentSnapshot;
        long sequence = metadata.LastSequenceNumber + 1;
        long snapshotId = NewSnapshotId(metadata);
        var manifests = new List<ManifestFile>();
        var removedEntries = new List<ManifestEntry>();
        var remaining = new HashSet<string>(change.Removed, StringComparer.Ordinal);
        if (parent is not null)
        {
            foreach (var manifest in await ReadManifestListAsync(parent, cancellationToken).ConfigureAwait(false))
            {
                if (!change.RemoveAll && remaining.Count == 0)
                {
                    manifests.Add(manifest);
                    continue;
                }

                var entries = await ReadManifestAsync(manifest, cancellationToken).ConfigureAwait(false);
                var live = entries.Where(e => e.Status != ManifestEntryStatus.Deleted).ToList();
                var gone = change.RemoveAll ? live : live.Where(e => remaining.Contains(e.DataFile.FilePath)).ToList();
                if (gone.Count == 0)
                {
                    manifests.Add(manifest);
                    continue;
                }

                foreach (var e in gone)
                {
                    remaining.Remove(e.DataFile.FilePath);
                }

                removedEntries.AddRange(gone.Select(e => e with { Status = ManifestEntryStatus.Deleted, SnapshotId = snapshotId }));
                var kept = live.Except(gone).Select(e => e with { Status = ManifestEntryStatus.Existing }).ToList();
                if (kept.Count > 0)
                {
                    manifests.Add(await WriteManifestAsync(manifest.Content, kept, snapshotId, sequence, written, cancellationToken).ConfigureAwait(false));
                }
            }
        }

        manifests = await MergeManifestsAsync(manifests, snapshotId, sequence, written, cancellationToken).ConfigureAwait(false);
        if (remaining.Count > 0)
        {
            throw new IcebergException($"cannot remove {remaining.Count} file(s) that are no longer live, for example {remaining.First()} (another writer rewrote them)");
        }

        foreach (var content in new[] { FileContent.Data, FileContent.PositionDeletes })
        {
            var entries = change.Added.Where(f => ContentGroup(f.Content) == content)
                .Select(f => new ManifestEntry(ManifestEntryStatus.Added, snapshotId, sequence, sequence, f))
                .Concat(removedEntries.Where(e => ContentGroup(e.DataFile.Content) == content))
                .ToList();
            if (entries.Count > 0)
            {
                manifests.Add(await WriteManifestAsync(content, entries, snapshotId, sequence, written, cancellationToken).ConfigureAwait(false));
            }
        }

        string listLocation = FileIOFactory.Combine(metadata.Location, $"metadata/snap-{snapshotId.ToString(CultureInfo.InvariantCulture)}-{sequence.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():D}.avro");
        await IO.WriteNewAsync(listLocation, Manifest.WriteList(snapshotId, parent?.SnapshotId, sequence, manifests), cancellationToken).ConfigureAwait(false);
        written.Add(listLocation);
        var snapshot = new Snapshot(
            snapshotId,
            parent?.SnapshotId,
            sequence,
            _time.GetUtcNow().ToUnixTimeMilliseconds(),
            listLocation,
            Summarize(change, removedEntries, parent),
            metadata.CurrentSchemaId);
        return (snapshot, [new AddSnapshotUpdate(snapshot), new SetMainBranchUpdate(snapshotId)]);
    }

    /// <summary>Manifests of one content beyond which a commit merges the small ones into one (Iceberg's <c>commit.manifest.min-count-to-merge</c>).</summary>
    public int MinManifestsToMerge
    {
        get => Metadata.Properties.TryGetValue("commit.manifest.min-count-to-merge", out var v) && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 1 ? n : 100;
    }

    /// <summary>Manifests at least this large are never merged (Iceberg's <c>commit.manifest.target-size-bytes</c>).</summary>
    public const long TargetManifestBytes = 8L << 20;

    /// <summary>
    /// Keeps the manifest count bounded: when a commit would carry more than
    /// <see cref="MinManifestsToMerge"/> manifests of one content, the small ones are rewritten as
    /// one manifest of their live entries (status existing, sequence numbers kept).
    /// </summary>
    private async Task<List<ManifestFile>> MergeManifestsAsync(List<ManifestFile> manifests, long snapshotId, long sequence, List<string> written, CancellationToken cancellationToken)
    {
        int threshold = MinManifestsToMerge;
        var result = new List<ManifestFile>(manifests.Count);
        foreach (var group in manifests.GroupBy(m => m.Content))
        {
            var small = group.Where(m => m.ManifestLength < TargetManifestBytes).ToList();
            if (group.Count() <= threshold || small.Count < 2)
            {
                result.AddRange(group);
                continue;
            }

            result.AddRange(group.Where(m => m.ManifestLength >= TargetManifestBytes));
            var entries = new List<ManifestEntry>();
            foreach (var manifest in small)
            {
                foreach (var e in await ReadManifestAsync(manifest, cancellationToken).ConfigureAwait(false))
                {
                    if (e.Status != ManifestEntryStatus.Deleted)
                    {
                        // Added entries may leave their sequence numbers to be inherited from the
                        // manifest; once carried into another manifest they must be explicit.
                        entries.Add(e with
                        {
                            Status = ManifestEntryStatus.Existing,
                            SnapshotId = e.SnapshotId ?? manifest.AddedSnapshotId,
                            SequenceNumber = e.SequenceNumber ?? manifest.SequenceNumber,
                            FileSequenceNumber = e.FileSequenceNumber ?? manifest.SequenceNumber,
                        });
                    }
                }
            }

            if (entries.Count > 0)
            {
                result.Add(await WriteManifestAsync(group.Key, entries, snapshotId, sequence, written, cancellationToken).ConfigureAwait(false));
            }
        }

        return result;
    }

    private static FileContent ContentGroup(FileContent content) => content == FileContent.Data ? FileContent.Data : FileContent.PositionDeletes;

    private async Task<ManifestFile> WriteManifestAsync(FileContent content, IReadOnlyList<ManifestEntry> entries, long snapshotId, long sequence, List<string> written, CancellationToken cancellationToken)
    {
        string location = FileIOFactory.Combine(Metadata.Location, $"metadata/{Guid.NewGuid():D}-m{written.Count.ToString(CultureInfo.InvariantCulture)}.avro");
        byte[] bytes = Manifest.Write(Metadata.CurrentSchema, content, entries);
        await IO.WriteNewAsync(location, bytes, cancellationToken).ConfigureAwait(false);
        written.Add(location);
        IEnumerable<ManifestEntry> Of(ManifestEntryStatus status) => entries.Where(e => e.Status == status);
        return new ManifestFile
        {
            ManifestPath = location,
            ManifestLength = bytes.Length,
            Content = content,
            SequenceNumber = sequence,
            MinSequenceNumber = entries.Where(e => e.Status != ManifestEntryStatus.Deleted).Select(e => e.SequenceNumber ?? sequence).DefaultIfEmpty(sequence).Min(),
            AddedSnapshotId = snapshotId,
            AddedFilesCount = Of(ManifestEntryStatus.Added).Count(),
            ExistingFilesCount = Of(ManifestEntryStatus.Existing).Count(),
            DeletedFilesCount = Of(ManifestEntryStatus.Deleted).Count(),
            AddedRowsCount = Of(ManifestEntryStatus.Added).Sum(e => e.DataFile.RecordCount),
            ExistingRowsCount = Of(ManifestEntryStatus.Existing).Sum(e => e.DataFile.RecordCount),
            DeletedRowsCount = Of(ManifestEntryStatus.Deleted).Sum(e => e.DataFile.RecordCount),
        };
    }

    private static long NewSnapshotId(TableMetadata metadata)
    {
        while (true)
        {
            long id = RandomNumberGenerator.GetInt32(1, int.MaxValue) * (long)RandomNumberGenerator.GetInt32(1, int.MaxValue);
            if (metadata.Snapshots.All(s => s.SnapshotId != id))
            {
                return id;
            }
        }
    }

    private static Dictionary<string, string> Summarize(FileChange change, IReadOnlyList<ManifestEntry> removed, Snapshot? parent)
    {
        static string S(long v) => v.ToString(CultureInfo.InvariantCulture);
        var addedData = change.Added.Where(f => f.Content == FileContent.Data).ToList();
        var addedDeletes = change.Added.Where(f => f.Content != FileContent.Data).ToList();
        var removedData = removed.Where(e => e.DataFile.Content == FileContent.Data).Select(e => e.DataFile).ToList();
        var removedDeletes = removed.Where(e => e.DataFile.Content != FileContent.Data).Select(e => e.DataFile).ToList();
        string operation = removed.Count == 0 && addedDeletes.Count == 0 ? SnapshotOperations.Append
            : addedData.Count == 0 && addedDeletes.Count == 0 ? SnapshotOperations.Delete
            : SnapshotOperations.Overwrite;
        var summary = new Dictionary<string, string>(StringComparer.Ordinal);
        if (parent is not null && change.InheritSummary is { } inherit)
        {
            foreach (var (key, value) in parent.Summary)
            {
                if (inherit(key))
                {
                    summary[key] = value;
                }
            }
        }

        foreach (var (key, value) in change.Summary)
        {
            summary[key] = value;
        }

        var standard = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["operation"] = operation,
            ["added-data-files"] = S(addedData.Count),
            ["added-records"] = S(addedData.Sum(f => f.RecordCount)),
            ["added-files-size"] = S(change.Added.Sum(f => f.FileSizeInBytes)),
            ["added-delete-files"] = S(addedDeletes.Count),
            ["added-position-deletes"] = S(addedDeletes.Sum(f => f.RecordCount)),
            ["deleted-data-files"] = S(removedData.Count),
            ["deleted-records"] = S(removedData.Sum(f => f.RecordCount)),
            ["removed-delete-files"] = S(removedDeletes.Count),
            ["removed-position-deletes"] = S(removedDeletes.Sum(f => f.RecordCount)),
            ["removed-files-size"] = S(removed.Sum(e => e.DataFile.FileSizeInBytes)),
        };
        foreach (var (key, value) in standard)
        {
            summary[key] = value;
        }

        // Totals carry forward from the parent, so no commit has to read every manifest.
        long Total(string key) => parent is null ? 0 : long.Parse(parent.Summary[key], CultureInfo.InvariantCulture);
        string[] totals = ["total-records", "total-data-files", "total-delete-files", "total-files-size", "total-position-deletes"];
        if (parent is null || totals.All(parent.Summary.ContainsKey))
        {
            summary["total-records"] = S(Total("total-records") + addedData.Sum(f => f.RecordCount) - removedData.Sum(f => f.RecordCount));
            summary["total-data-files"] = S(Total("total-data-files") + addedData.Count - removedData.Count);
            summary["total-delete-files"] = S(Total("total-delete-files") + addedDeletes.Count - removedDeletes.Count);
            summary["total-position-deletes"] = S(Total("total-position-deletes") + addedDeletes.Sum(f => f.RecordCount) - removedDeletes.Sum(f => f.RecordCount));
            summary["total-files-size"] = S(Total("total-files-size") + change.Added.Sum(f => f.FileSizeInBytes) - removed.Sum(e => e.DataFile.FileSizeInBytes));
        }

        return summary;
    }

    /// <summary>
    /// Expires snapshots older than <paramref name="olderThan"/>, always keeping the newest
    /// <paramref name="retainLast"/> and the current one, then deletes the manifest lists,
    /// manifests and data files that only expired snapshots referenced.
    /// </summary>
    public async Task<ExpiryResult> ExpireSnapshotsAsync(DateTimeOffset olderThan, int retainLast, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retainLast, 1);
        for (int attempt = 1; ; attempt++)
        {
            var metadata = Metadata;
            var keep = metadata.Snapshots.OrderByDescending(s => s.SequenceNumber).Take(retainLast).Select(s => s.SnapshotId).ToHashSet();
            if (metadata.CurrentSnapshotId is { } current)
            {
                keep.Add(current);
            }

            var expired = metadata.Snapshots.Where(s => !keep.Contains(s.SnapshotId) && s.Timestamp < olderThan).ToList();
            if (expired.Count == 0)
            {
                return new ExpiryResult(0, 0);
            }

            var retained = metadata.Snapshots.Except(expired).ToList();
            var (keptManifests, keptFiles) = await ReachableAsync(retained, liveOnly: true, cancellationToken).ConfigureAwait(false);
            var (oldManifests, oldFiles) = await ReachableAsync(expired, liveOnly: false, cancellationToken).ConfigureAwait(false);
            try
            {
                _loaded = await _catalog.CommitAsync(Identifier, _loaded, [new RemoveSnapshotsUpdate(expired.Select(s => s.SnapshotId).ToList())], cancellationToken).ConfigureAwait(false);
            }
            catch (CommitConflictException) when (attempt < MaxCommitAttempts)
            {
                await RefreshAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var doomed = expired.Select(s => s.ManifestList)
                .Concat(oldManifests.Where(m => !keptManifests.Contains(m)))
                .Concat(oldFiles.Where(f => !keptFiles.Contains(f)))
                .Distinct(StringComparer.Ordinal)
                .ToList();
            await DeleteQuietlyAsync(doomed).ConfigureAwait(false);
            return new ExpiryResult(expired.Count, doomed.Count);
        }
    }

    private async Task<(HashSet<string> Manifests, HashSet<string> Files)> ReachableAsync(IEnumerable<Snapshot> snapshots, bool liveOnly, CancellationToken cancellationToken)
    {
        var manifests = new HashSet<string>(StringComparer.Ordinal);
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (var snapshot in snapshots)
        {
            foreach (var manifest in await ReadManifestListAsync(snapshot, cancellationToken).ConfigureAwait(false))
            {
                if (!manifests.Add(manifest.ManifestPath))
                {
                    continue;
                }

                foreach (var entry in await ReadManifestAsync(manifest, cancellationToken).ConfigureAwait(false))
                {
                    if (!liveOnly || entry.Status != ManifestEntryStatus.Deleted)
                    {
                        files.Add(entry.DataFile.FilePath);
                    }
                }
            }
        }

        return (manifests, files);
    }

    public void Dispose() => IO.Dispose();
}
