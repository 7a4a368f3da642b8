namespace Qindex.Index.Store;

/// <summary>The index cannot be opened or committed (catalog unreachable, commit conflict, bad location); the message says which.</summary>
public sealed class IndexStoreException : Exception
{
    public IndexStoreException(string message)
        : base(message)
    {
    }

    public IndexStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public IndexStoreException()
        : base("the index store failed")
    {
    }
}
