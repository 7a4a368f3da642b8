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

return await root.Parse(args).InvokeAsync();
