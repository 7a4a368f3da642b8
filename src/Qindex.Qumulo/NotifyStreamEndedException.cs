namespace Qindex.Qumulo;

/// <summary>The notify stream ended before the watch was registered (the server closed it at once).</summary>
internal sealed class NotifyStreamEndedException : Exception
{
    public NotifyStreamEndedException()
        : base("the notify stream ended before the watch was registered")
    {
    }

    public NotifyStreamEndedException(string message)
        : base(message)
    {
    }

    public NotifyStreamEndedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
