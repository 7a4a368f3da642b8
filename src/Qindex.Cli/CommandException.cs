namespace Qindex.Cli;

/// <summary>
/// A command cannot go on because of something it was given that is well-formed on the command
/// line but unusable (a certificate file that holds no PEM certificate, a malformed credential
/// file, a port already taken). The message says which and what to do; exits with 1.
/// </summary>
public sealed class CommandException : Exception
{
    public CommandException(string message)
        : base(message)
    {
    }

    public CommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CommandException()
        : base("the command failed")
    {
    }
}
