using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Security.Authentication;

namespace Qindex.Cli;

/// <summary>
/// Turns an error that ended a command into words for the user and an exit code: one paragraph,
/// never a stack trace. The project's own exceptions carry messages written for users; a library
/// exception that escapes its conversion is a bug, reported in one line with the trace in a file.
/// </summary>
internal static class ErrorReport
{
    /// <summary>Success.</summary>
    public const int Success = 0;

    /// <summary>The work failed: bad data, an unreachable cluster, a refused commit.</summary>
    public const int Failure = 1;

    /// <summary>The command line is not valid: unknown or malformed options, values out of range.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted (Ctrl-C or SIGTERM), as shells report SIGINT.</summary>
    public const int Interrupted = 130;

    /// <summary>Prints the parse errors of <paramref name="parse"/> and returns <see cref="Usage"/>.</summary>
    public static int WriteUsageErrors(ParseResult parse, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(error);
        foreach (var e in parse.Errors)
        {
            error.WriteLine("error: " + e.Message);
        }

        var path = new List<string>();
        for (var c = parse.CommandResult; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
        {
            path.Insert(0, c.Command.Name);
        }

        path[0] = "qindex";
        error.WriteLine($"Run '{string.Join(' ', path)} --help' for usage.");
        return Usage;
    }

    /// <summary>
    /// Reports <paramref name="exception"/> on <paramref name="error"/> and returns the exit code.
    /// An unexpected exception's trace goes to a file in <paramref name="traceDirectory"/>.
    /// </summary>
    public static int Write(Exception exception, TextWriter error, string traceDirectory, IReadOnlyList<string>? secrets = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(error);
        var e = Unwrap(exception);
        switch (e)
        {
            case OperationCanceledException:
                error.WriteLine("interrupted: nothing was committed by the interrupted step.");
                return Interrupted;
            case UsageException:
                error.WriteLine("error: " + Redaction.Apply(e.Message, secrets));
                return Usage;
            case HttpRequestException { InnerException: AuthenticationException tls }:
                error.WriteLine($"error: the server's TLS certificate is not trusted ({tls.Message}); give --ca-cert FILE or --pin-sha256 HEX (or --insecure if you accept the risk)");
                return Failure;
            case var _ when IsExpected(e):
                error.WriteLine("error: " + Redaction.Apply(Paragraph(e), secrets));
                return Failure;
            default:
                var file = WriteTrace(exception, traceDirectory, secrets);
                error.WriteLine(
                    $"error: unexpected {e.GetType().Name}: {Redaction.Apply(OneLine(e.Message), secrets)}. This is a bug in qindex; " +
                    (file is null ? "the trace could not be written." : $"the full trace is in {file}."));
                return Failure;
        }
    }

    /// <summary>
    /// The project's own exception types (declared in a Qindex assembly) and the file system's and
    /// network's refusals, whose messages name the path or address; everything else is a bug.
    /// </summary>
    public static bool IsExpected(Exception exception) =>
        exception.GetType().Assembly.GetName().Name?.StartsWith("Qindex.", StringComparison.Ordinal) == true
        || exception.GetType().Assembly == typeof(ErrorReport).Assembly
        || exception is IOException or UnauthorizedAccessException or HttpRequestException;

    private static Exception Unwrap(Exception exception)
    {
        while (exception is AggregateException { InnerExceptions.Count: 1 } or TargetInvocationException && exception.InnerException is not null)
        {
            exception = exception.InnerException!;
        }

        return exception;
    }

    private static string Paragraph(Exception e) => OneLine(e.Message);

    private static string OneLine(string text) => string.Join(' ', text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    private static string? WriteTrace(Exception exception, string directory, IReadOnlyList<string>? secrets)
    {
        try
        {
            Directory.CreateDirectory(directory);
            var file = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"qindex-error-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.txt"));
            File.WriteAllText(file, Redaction.Apply(exception.ToString(), secrets) + Environment.NewLine);
            return file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
