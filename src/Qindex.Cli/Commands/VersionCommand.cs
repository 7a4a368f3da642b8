using System.CommandLine;
using System.Reflection;

namespace Qindex.Cli.Commands;

/// <summary><c>qindex version</c>: prints the tool's version.</summary>
internal sealed class VersionCommand : ICliCommand
{
    public Command Build()
    {
        var command = new Command("version", "Print the qindex version.");
        command.SetAction(_ =>
        {
            var version = typeof(VersionCommand).Assembly
                .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.WriteLine($"qindex {version}");
            return 0;
        });
        return command;
    }
}
