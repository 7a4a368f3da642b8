using System.CommandLine;
using System.Globalization;
using Qindex.Index.Import;
using Qindex.Index.Store;

namespace Qindex.Cli.Commands;

/// <summary><c>qindex import</c>: loads the users' existing Parquet index or walker NDJSON into the index.</summary>
internal sealed class ImportCommand : ICliCommand
{
    public Command Build()
    {
        var index = new IndexOptions();
        var sources = new Argument<string[]>("SOURCE")
        {
            Description = "Files or directories: *.parquet from the old ingest script, *.json/*.ndjson/*.jsonl from the tree walker.",
            Arity = ArgumentArity.OneOrMore,
        };
        var command = new Command(
            "import",
            "Replace the index with the rows of existing Parquet or NDJSON files.\n" +
            "Example: qindex import --index ./idx ./old-dataset crawl.ndjson");
        index.AddTo(command);
        command.Arguments.Add(sources);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stderr = Console.Error;
            try
            {
                var files = ImportSources.Expand(parse.GetValue(sources)!);
                if (files.Count == 0)
                {
                    await stderr.WriteLineAsync("error: no .parquet, .json, .ndjson or .jsonl files found in the sources");
                    return 2;
                }

                await using var store = await IndexStoreFactory.OpenAsync(index.Location(parse), cancellationToken);
                var progress = new Progress<ImportProgress>(p =>
                {
                    if (p.File.Length > 0)
                    {
                        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{p.FilesDone + 1}/{files.Count}] {p.File} ({p.Rows:N0} rows so far)"));
                    }
                });
                var result = await IndexImporter.ImportAsync(files, store, progress, cancellationToken);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"imported {result.RowsImported:N0} rows from {result.FilesRead} files; bad lines {result.BadLines:N0}; {result.Elapsed.TotalSeconds:F1} s; {result.MegabytesPerSecond:F1} MB/s"));
                foreach (var bad in result.FirstBadLines)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  bad: {bad.File}:{bad.Line}: {bad.Reason}"));
                }

                if (result.BadLines > result.FirstBadLines.Count)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ... and {result.BadLines - result.FirstBadLines.Count:N0} more bad lines"));
                }

                return 0;
            }
            catch (Exception e) when (e is ImportSourceException or IOException or UnauthorizedAccessException or IndexStoreException)
            {
                await stderr.WriteLineAsync("error: " + e.Message + " (the index was not changed)");
                return 1;
            }
        });
        return command;
    }
}
