using Qindex.Iceberg;

namespace Qindex.Index.Store;

/// <summary>Opens the index store an <see cref="IndexLocation"/> names, creating it on first use.</summary>
public static class IndexStoreFactory
{
    /// <summary>Opens (or creates) the index: for the verbs that write one (crawl, import, watch).</summary>
    /// <exception cref="IndexStoreException">The location cannot be used.</exception>
    public static Task<IIndexStore> OpenAsync(IndexLocation location, CancellationToken cancellationToken) =>
        OpenAsync(location, create: true, cancellationToken);

    /// <summary>Opens an existing index: for the verbs that only read one (query, status, export).</summary>
    /// <exception cref="IndexStoreException">There is no index at the location ("no index at DIR"), or it cannot be used.</exception>
    public static Task<IIndexStore> OpenExistingAsync(IndexLocation location, CancellationToken cancellationToken) =>
        OpenAsync(location, create: false, cancellationToken);

    private static async Task<IIndexStore> OpenAsync(IndexLocation location, bool create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        try
        {
            return await IcebergIndexStore.OpenAsync(location, cancellationToken, create: create).ConfigureAwait(false);
        }
        catch (IcebergException e)
        {
            throw new IndexStoreException($"{location.IndexDirectory}: cannot open the index ({e.Message})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IndexStoreException($"{location.IndexDirectory}: cannot open the index ({e.Message})", e);
        }
    }
}
