using Qindex.Iceberg.Catalog;
using Qindex.Iceberg.IO;
using Qindex.Iceberg.Spec;

namespace Qindex.Index.Store;

/// <summary>
/// Keeps an index directory movable and copyable (<c>mv idx idx2</c>, <c>cp -a idx0 idx5</c>).
/// Iceberg records absolute locations (the catalog row, the metadata's <c>location</c>, manifest
/// lists, manifests, data file paths), so after a move they name a place that is gone, and after a
/// copy they name the original, which a write through the copy would then change. For the default
/// layout (SQLite catalog and warehouse both inside the index directory, so every file the catalog
/// names belongs to this directory), opening detects that the catalog names a table location
/// outside the index directory and rewrites the table's metadata, manifest lists and manifests
/// with the current location (the data files are not touched), then swaps the catalog row with a
/// compare-and-swap. Afterwards every location is correct for qindex and for any other Iceberg
/// reader; the original directory of a copy is never read or written. See
/// docs/decisions/0006-movable-index-directory.md.
/// </summary>
internal static class IndexRelocation
{
    private const int MaxAttempts = 5;

    /// <summary>
    /// Rewrites the table's locations when the catalog names a table outside
    /// <paramref name="tableLocation"/> (the index directory was moved or copied).
    /// </summary>
    /// <returns>True when the table was relocated.</returns>
    /// <exception cref="IndexStoreException">The index cannot be relocated (files missing, not writable).</exception>
    public static async Task<bool> RelocateIfMovedAsync(SqlCatalog catalog, TableIdentifier table, string tableLocation, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var recorded = await catalog.LoadMetadataLocationAsync(table, cancellationToken).ConfigureAwait(false);
            if (recorded is null || recorded.StartsWith(tableLocation + "/metadata/", StringComparison.Ordinal))
            {
                return false;
            }

            var cut = recorded.LastIndexOf("/metadata/", StringComparison.Ordinal);
            if (cut < 0 || !recorded.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            {
                throw new IndexStoreException($"the index's catalog names {recorded}, which is not a table location in a local index directory");
            }

            var oldRoot = recorded[..cut];
            var moved = tableLocation + recorded[cut..];
            if (!File.Exists(LocalFileIO.ToPath(moved)))
            {
                throw new IndexStoreException($"the index's catalog names {recorded}, and this index directory has no {moved}: the directory was moved or copied without its warehouse");
            }

            try
            {
                if (SamePlace(oldRoot, tableLocation))
                {
                    // The same directory under another name (a symlink): every location still works.
                    return false;
                }

                if (await RewriteAsync(catalog, table, recorded, moved, oldRoot, tableLocation, cancellationToken).ConfigureAwait(false))
                {
                    return true;
                }
            }
            catch (FileNotFoundException) when (attempt < MaxAttempts)
            {
                // Another process relocated the same directory first and removed the copies this
                // one was reading; the next look at the catalog sees its result.
            }
            catch (UnauthorizedAccessException e)
            {
                throw new IndexStoreException($"this index directory was moved or copied from {LocalFileIO.ToPath(oldRoot)} and its metadata must be rewritten once for the new place, but it is not writable ({e.Message})", e);
            }

            if (attempt >= MaxAttempts)
            {
                throw new IndexStoreException($"the index's catalog kept changing while its metadata was rewritten for the new directory; try again");
            }
        }
    }

    /// <summary>
    /// Whether two table roots are one directory (a symlinked or differently spelled path): a file
    /// made under one is visible under the other.
    /// </summary>
    private static bool SamePlace(string oldRoot, string newRoot)
    {
        var oldMetadata = Path.Combine(LocalFileIO.ToPath(oldRoot), "metadata");
        if (!Directory.Exists(oldMetadata))
        {
            return false;
        }

        var probe = "qindex-relocation-probe-" + Guid.NewGuid().ToString("N");
        var probePath = Path.Combine(LocalFileIO.ToPath(newRoot), "metadata", probe);
        File.WriteAllBytes(probePath, []);
        try
        {
            return File.Exists(Path.Combine(oldMetadata, probe));
        }
        finally
        {
            File.Delete(probePath);
        }
    }

    private static async Task<bool> RewriteAsync(SqlCatalog catalog, TableIdentifier table, string recorded, string moved, string oldRoot, string tableLocation, CancellationToken cancellationToken)
    {
        using var io = new LocalFileIO();
        var metadata = await MetadataFiles.ReadAsync(io, moved, cancellationToken).ConfigureAwait(false);
        string[] roots = [.. new[] { oldRoot, metadata.Location.TrimEnd('/') }.Distinct(StringComparer.Ordinal)];
        string Map(string location)
        {
            foreach (var root in roots)
            {
                if (location.StartsWith(root + "/", StringComparison.Ordinal))
                {
                    return tableLocation + location[root.Length..];
                }
            }

            return location;
        }

        var written = new List<string>();
        var superseded = new List<string> { moved };
        var manifests = new Dictionary<string, ManifestFile>(StringComparer.Ordinal);
        var snapshots = new List<Snapshot>();
        try
        {
            foreach (var snapshot in metadata.Snapshots)
            {
                var listPath = Map(snapshot.ManifestList);
                var list = new List<ManifestFile>();
                foreach (var manifest in Manifest.ReadList(await io.ReadAllBytesAsync(listPath, cancellationToken).ConfigureAwait(false), listPath))
                {
                    if (!manifests.TryGetValue(manifest.ManifestPath, out var rewritten))
                    {
                        var path = Map(manifest.ManifestPath);
                        var entries = Manifest.Read(await io.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false), path)
                            .Select(e => e with { DataFile = e.DataFile with { FilePath = Map(e.DataFile.FilePath) } });
                        var bytes = Manifest.Write(metadata.CurrentSchema, manifest.Content, entries);
                        var location = FileIOFactory.Combine(tableLocation, $"metadata/{Guid.NewGuid():D}-r.avro");
                        await io.WriteNewAsync(location, bytes, cancellationToken).ConfigureAwait(false);
                        written.Add(location);
                        superseded.Add(path);
                        rewritten = manifest with { ManifestPath = location, ManifestLength = bytes.Length };
                        manifests[manifest.ManifestPath] = rewritten;
                    }

                    list.Add(rewritten);
                }

                var listLocation = FileIOFactory.Combine(tableLocation, $"metadata/snap-{snapshot.SnapshotId}-{snapshot.SequenceNumber}-{Guid.NewGuid():D}.avro");
                await io.WriteNewAsync(listLocation, Manifest.WriteList(snapshot.SnapshotId, snapshot.ParentSnapshotId, snapshot.SequenceNumber, list), cancellationToken).ConfigureAwait(false);
                written.Add(listLocation);
                superseded.Add(listPath);
                snapshots.Add(snapshot with { ManifestList = listLocation });
            }

            // The metadata log named files under the old root; they are superseded copies now.
            superseded.AddRange(metadata.MetadataLog.Select(e => Map(e.MetadataFile)));
            var relocated = metadata with
            {
                Location = tableLocation,
                Snapshots = snapshots,
                MetadataLog = [],
                LastUpdatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            };
            var metadataLocation = MetadataFiles.Next(tableLocation, moved);
            await io.WriteNewAsync(metadataLocation, relocated.ToJsonBytes(), cancellationToken).ConfigureAwait(false);
            written.Add(metadataLocation);
            if (!await catalog.SwapMetadataLocationAsync(table, recorded, metadataLocation, cancellationToken).ConfigureAwait(false))
            {
                await DeleteAsync(io, written, tableLocation).ConfigureAwait(false);
                return false;
            }
        }
        catch (Exception) when (written.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            await DeleteAsync(io, written, tableLocation).ConfigureAwait(false);
            throw;
        }

        // The copies that still name the old root: nothing references them any more.
        await DeleteAsync(io, superseded, tableLocation).ConfigureAwait(false);
        return true;
    }

    /// <summary>Deletes files, only ever inside <paramref name="tableLocation"/>; failures leave orphans, not damage.</summary>
    private static async Task DeleteAsync(LocalFileIO io, IEnumerable<string> locations, string tableLocation)
    {
        foreach (var location in locations.Where(l => l.StartsWith(tableLocation + "/", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal))
        {
            try
            {
                await io.DeleteAsync(location, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An unreferenced metadata copy costs a few kilobytes; the relocation stands.
            }
        }
    }
}
