using Qindex.Iceberg.Spec;

namespace Qindex.Iceberg.Table;

/// <summary>
/// Replaces some live files with others holding the same rows (a compaction: data files with
/// their deletes applied, merged and sorted). It fails when a commit since
/// <see cref="SnapshotOperation.BaseSnapshotId"/> added a position delete that targets a data file
/// it removes: that delete would be lost with the file, and the deleted row would come back.
/// </summary>
public sealed class RewriteFiles : SnapshotOperation
{
    /// <summary>Locations of the live data and delete files being replaced.</summary>
    public required IReadOnlySet<string> Removed { get; init; }

    /// <summary>The replacement data files.</summary>
    public required IReadOnlyList<DataFile> Added { get; init; }

    /// <summary>
    /// Reads the data file locations a position-delete file names (the caller knows how to read
    /// its Parquet); used to check concurrent deletes precisely instead of by bounds alone.
    /// </summary>
    public required Func<DataFile, CancellationToken, Task<IReadOnlySet<string>>> ReadDeleteTargets { get; init; }

    internal override FileChange ToFileChange() => new()
    {
        Added = Added,
        Removed = Removed,
        Summary = Summary,
        InheritSummary = InheritSummary,
    };

    internal override async Task ValidateAsync(IcebergTable table, CancellationToken cancellationToken)
    {
        foreach (var snapshot in table.SnapshotsSince(BaseSnapshotId))
        {
            foreach (var manifest in await table.ReadManifestListAsync(snapshot, cancellationToken).ConfigureAwait(false))
            {
                if (manifest.Content == FileContent.Data || manifest.AddedSnapshotId != snapshot.SnapshotId)
                {
                    continue;
                }

                foreach (var entry in await table.ReadManifestAsync(manifest, cancellationToken).ConfigureAwait(false))
                {
                    if (entry.Status != ManifestEntryStatus.Added || (entry.SnapshotId ?? snapshot.SnapshotId) != snapshot.SnapshotId)
                    {
                        continue;
                    }

                    var targets = await ReadDeleteTargets(entry.DataFile, cancellationToken).ConfigureAwait(false);
                    var hit = targets.FirstOrDefault(Removed.Contains);
                    if (hit is not null)
                    {
                        throw new CommitValidationException($"a concurrent commit deleted rows in {hit}, which this rewrite removes; plan the rewrite again");
                    }
                }
            }
        }
    }
}
