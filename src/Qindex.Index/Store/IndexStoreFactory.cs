namespace Qindex.Index.Store;

/// <summary>Opens the index store an <see cref="IndexLocation"/> names, creating it on first use.</summary>
public static class IndexStoreFactory
{
    /// <summary>Opens (or creates) the index.</summary>
    /// <exception cref="IndexStoreException">The location cannot be used.</exception>
    public static Task<IIndexStore> OpenAsync(IndexLocation location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        cancellationToken.ThrowIfCancellationRequested();
        if (location.CatalogUri is not null || location.Warehouse is not null)
        {
            throw new IndexStoreException("--catalog-uri and --warehouse need the Iceberg catalog store, which this build does not have yet");
        }

        try
        {
            return Task.FromResult<IIndexStore>(LocalIndexStore.Open(location.IndexDirectory));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IndexStoreException($"{location.IndexDirectory}: cannot open the index ({e.Message})", e);
        }
    }
}
