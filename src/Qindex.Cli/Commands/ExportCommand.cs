using System.CommandLine;
using System.Globalization;
using Qindex.Index.Export;

namespace Qindex.Cli.Commands;

/// <summary><c>qindex export</c>: writes the index as a Parquet dataset in the old ingest script's schema.</summary>
internal sealed class ExportCommand : ICliCommand
{
    public Command Build()
    {
        var index = new IndexOptions();
        var parquet = new Option<string>("--parquet")
        {
            Description = "Output directory (new or empty) for the Parquet files.",
            Required = true,
        };
        var command = new Command(
            "export",
            "Export the current index as Parquet with the old dataset's columns and types.\n" +
            "Example: qindex export --index ./idx --parquet ./dataset   (then: read_parquet('dataset/**/*.parquet'))");
        index.AddTo(command);
        command.Options.Add(parquet);
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var store = await index.OpenExistingAsync(parse, cancellationToken);
            var scan = await store.ScanAsync(cancellationToken);
            var result = await IndexExporter.ExportAsync(scan, parse.GetValue(parquet)!, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"exported {result.Rows:N0} rows to {result.Files.Count} files in {result.Elapsed.TotalSeconds:F1} s"));
            return 0;
        });
        return command;
    }
}
