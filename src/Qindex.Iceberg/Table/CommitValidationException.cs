namespace Qindex.Iceberg.Table;

/// <summary>
/// A concurrent commit made an operation invalid (it removed a file the operation deletes rows
/// from, or deleted rows in a file the operation rewrites). Retrying the same operation cannot
/// succeed; the caller plans it again on the current state.
/// </summary>
public sealed class CommitValidationException : IcebergException
{
    public CommitValidationException(string message)
        : base(message)
    {
    }

    public CommitValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CommitValidationException()
        : base("a concurrent commit invalidated the operation")
    {
    }
}
