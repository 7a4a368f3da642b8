namespace Qindex.Iceberg.IO;

/// <summary>
/// Object storage refused a request or could not be reached; the message names the location and
/// the store's answer. An <see cref="IOException"/>, as a local disk's failure is, so code that
/// tolerates a failed write or delete of a file nothing references (an orphan) keeps doing so
/// whichever storage the table is on.
/// </summary>
public sealed class StorageException : IOException
{
    public StorageException()
    {
    }

    public StorageException(string message)
        : base(message)
    {
    }

    public StorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
