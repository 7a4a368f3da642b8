using Qindex.Iceberg.IO;
using Qindex.Iceberg.Table;
using Qindex.Index.Store;

namespace Qindex.Index.Compaction;

/// <summary>What orphan cleanup did.</summary>
/// <param name="Removed">Files deleted.</param>
/// <param name="Bytes">Their total size.</param>
/// <param name="TooYoung">Unreferenced files kept because they are younger than the safety window (a write may be in progress).</param>
public sealed record OrphanCleanupResult(int Removed, long Bytes, int TooYoung);

/// <summary>
/// Removes files a killed or failed write left behind: data, delete and manifest files under the
/// table that no snapshot references, once older than a safety window (a write in progress has not
/// committed its files yet). Metadata JSON files are never touched: the catalog and readers name
/// them, and their count is bounded by the metadata log.
/// </summary>
public static class OrphanFiles
{
    /// <summary>The default safety window: no write takes longer than this between writing a file and committing it.</summary>
    public static readonly TimeSpan DefaultMinAge = TimeSpan.FromHours(3);

    /// <summary>Removes unreferenced files older than <paramref name="minAge"/> from the index table and the changes table.</summary>
    public static async Task<OrphanCleanupResult> RemoveAsync(IcebergIndexStore store, TimeSpan minAge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var result = await RemoveAsync(store.Table, minAge, cancellationToken).ConfigureAwait(false);
        if (await store.OpenChangesTableAsync(create: false, cancellationToken).ConfigureAwait(false) is { } changes)
        {
            var more = await RemoveAsync(changes, minAge, cancellationToken).ConfigureAwait(false);
            result = new OrphanCleanupResult(result.Removed + more.Removed, result.Bytes + more.Bytes, result.TooYoung + more.TooYoung);
        }

        // Staging files of writes that were killed before publishing (object-storage warehouses).
        string staging = Path.Combine(store.IndexDirectory, "staging");
        if (Directory.Exists(staging))
        {
            foreach (var file in new DirectoryInfo(staging).EnumerateFiles())
            {
                if (file.LastWriteTimeUtc < DateTime.UtcNow - minAge)
                {
                    long size = file.Length;
                    file.Delete();
                    result = result with { Removed = result.Removed + 1, Bytes = result.Bytes + size };
                }
            }
        }

        return result;
    }

    /// <summary>Removes unreferenced data, delete and manifest files of one table.</summary>
    public static async Task<OrphanCleanupResult> RemoveAsync(IcebergTable table, TimeSpan minAge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        await table.RefreshAsync(cancellationToken).ConfigureAwait(false);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        var manifestsSeen = new HashSet<string>(StringComparer.Ordinal);
        string Name(string location) => table.IO.LocalPathOf(location) ?? location;
        foreach (var snapshot in table.Metadata.Snapshots)
        {
            referenced.Add(Name(snapshot.ManifestList));
            foreach (var manifest in await table.ReadManifestListAsync(snapshot, cancellationToken).ConfigureAwait(false))
            {
                referenced.Add(Name(manifest.ManifestPath));
                if (!manifestsSeen.Add(manifest.ManifestPath))
                {
                    continue;
                }

                foreach (var entry in await table.ReadManifestAsync(manifest, cancellationToken).ConfigureAwait(false))
                {
                    referenced.Add(Name(entry.DataFile.FilePath));
                }
            }
        }

        var cutoff = DateTimeOffset.UtcNow - minAge;
        int removed = 0, young = 0;
        long bytes = 0;
        foreach (var folder in new[] { "data", "metadata" })
        {
            await foreach (var file in table.IO.ListAsync(FileIOFactory.Combine(table.Metadata.Location, folder), cancellationToken).ConfigureAwait(false))
            {
                bool candidate = folder == "data" || file.Name.EndsWith(".avro", StringComparison.Ordinal);
                if (!candidate || referenced.Contains(file.Name))
                {
                    continue;
                }

                if (file.LastModified >= cutoff)
                {
                    young++;
                    continue;
                }

                await table.IO.DeleteAsync(file.Location, cancellationToken).ConfigureAwait(false);
                removed++;
                bytes += file.Size;
            }
        }

        return new OrphanCleanupResult(removed, bytes, young);
    }
}
