namespace Qindex.Iceberg;

/// <summary>A table, metadata file, manifest or catalog that cannot be used as it is.</summary>
public class IcebergException : Exception
{
    public IcebergException()
    {
    }

    public IcebergException(string message)
        : base(message)
    {
    }

    public IcebergException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Another writer committed first: the table's current metadata is no longer the one this commit
/// was based on. The operation is retried on the new state.
/// </summary>
public sealed class CommitConflictException : IcebergException
{
    public CommitConflictException()
    {
    }

    public CommitConflictException(string message)
        : base(message)
    {
    }

    public CommitConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
