namespace Qindex.Cli;

/// <summary>
/// The command line asks for something that cannot work (a missing credential, a combination of
/// options); the message names the option. Exits with 2, as a parse error does.
/// </summary>
public sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UsageException()
        : base("the command line is not valid")
    {
    }
}
