using Qindex.Iceberg.Table;
using Qindex.Index.Store;

namespace Qindex.Index.Compaction;

/// <summary>What a maintenance pass does.</summary>
public sealed record MaintenanceOptions
{
    /// <summary>When to compact the <c>files</c> table; null leaves compaction out (a watcher compacts in the background).</summary>
    public CompactionOptions? Compaction { get; init; } = new();

    /// <summary>Changes-table files beyond which its small files are merged.</summary>
    public int ChangesFileThreshold { get; init; } = 16;

    /// <summary>Unreferenced files younger than this are kept; null skips orphan cleanup.</summary>
    public TimeSpan? OrphanMinAge { get; init; } = OrphanFiles.DefaultMinAge;
}

/// <summary>What a maintenance pass did.</summary>
public sealed record MaintenanceResult(CompactionResult? Compaction, ExpiryResult Expiry, int ChangesFilesExpired, int ChangesFilesMerged, OrphanCleanupResult? Orphans);

/// <summary>
/// The table housekeeping that keeps commits cheap and the file count bounded, off the commit
/// path: compaction, the changes table's retention and merging, snapshot expiry, orphan cleanup.
/// The watcher runs it on a schedule; <c>qindex compact</c> runs it once, forcing compaction.
/// </summary>
public static class IndexMaintenance
{
    /// <summary>Runs one pass.</summary>
    public static async Task<MaintenanceResult> RunAsync(IcebergIndexStore store, MaintenanceOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        var compaction = options.Compaction is { } compact ? await IndexCompactor.CompactAsync(store, compact, cancellationToken).ConfigureAwait(false) : null;
        var (expired, merged) = await store.MaintainChangesAsync(options.ChangesFileThreshold, cancellationToken).ConfigureAwait(false);
        var expiry = await store.ExpireSnapshotsAsync(cancellationToken).ConfigureAwait(false);
        var orphans = options.OrphanMinAge is { } age ? await OrphanFiles.RemoveAsync(store, age, cancellationToken).ConfigureAwait(false) : null;
        return new MaintenanceResult(compaction, expiry, expired, merged, orphans);
    }
}
