namespace Qindex.Index.Verify;

/// <summary>The comparison could not be made (the verified path is not a directory, or rows came out of order); the message says which.</summary>
public sealed class VerifyException : Exception
{
    public VerifyException(string message)
        : base(message)
    {
    }

    public VerifyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public VerifyException()
        : base("the index could not be compared with the cluster")
    {
    }
}
