using Qindex.Iceberg;

namespace Qindex.Index.Store;

/// <summary>Opens the index store an <see cref="IndexLocation"/> names, creating it on first use.</summary>
public static class IndexStoreFactory
{
    /// <summary>Opens (or creates) the index.</summary>
    /// <exception cref="IndexStoreException">The location cannot be used.</exception>
    public static async Task<IIndexStore> OpenAsync(IndexLocation location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        try
        {
            return await IcebergIndexStore.OpenAsync(location, cancellationToken).ConfigureAwait(false);
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
