namespace Qindex.Index.Store;

/// <summary>Opens the index store an <see cref="IndexLocation"/> names, creating the table on first use.</summary>
public static class IndexStoreFactory
{
    /// <summary>Opens (or creates) the index table <c>qindex.files</c>.</summary>
    /// <exception cref="IndexStoreException">The catalog or warehouse cannot be used.</exception>
    public static Task<IIndexStore> OpenAsync(IndexLocation location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        throw new IndexStoreException("the Iceberg store is not available in this build yet");
    }
}
