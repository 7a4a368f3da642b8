using System.CommandLine;
using Qindex.Cli;

var root = new RootCommand("qindex: a live, SQL-queryable Apache Iceberg index of a Qumulo file system.");
foreach (var type in typeof(ICliCommand).Assembly.GetTypes()
             .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICliCommand).IsAssignableFrom(t))
             .OrderBy(t => t.Name, StringComparer.Ordinal))
{
    var factory = (ICliCommand)Activator.CreateInstance(type)!;
    root.Subcommands.Add(factory.Build());
}

// Exit codes (README "Exit codes"): 0 success, 1 failure, 2 usage error, 130 interrupted.
var parse = root.Parse(args);
if (parse.Errors.Count > 0 && parse.Action is System.CommandLine.Invocation.ParseErrorAction)
{
    return ErrorReport.WriteUsageErrors(parse, Console.Error);
}

// The one place an error becomes words for the user: the project's own exceptions (and file
// system refusals, which name their path) print their message; anything else is a bug, reported
// in one line with the trace written to a file, never to the terminal.
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e)
{
    return ErrorReport.Write(e, Console.Error, Path.GetTempPath(), Redaction.KnownSecrets(args));
}
