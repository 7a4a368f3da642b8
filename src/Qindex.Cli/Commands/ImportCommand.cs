using System.CommandLine;
using System.Globalization;
using Qindex.Index.Import;

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
        var maxBadFraction = new Option<double>("--max-bad-fraction")
        {
            Description = "Refuse the import (the index stays as it was) when more than this share of the lines is bad.",
            DefaultValueFactory = _ => ImportRefusedException.DefaultMaxBadFraction,
        }.InRange(0.0, 1.0);
        var command = new Command(
            "import",
            "Replace the index with the rows of existing Parquet or NDJSON files. An import with no good rows, or with more bad lines than --max-bad-fraction, is refused and the index stays as it was.\n" +
            "Example: qindex import --index ./idx ./old-dataset crawl.ndjson");
        index.AddTo(command);
        command.Arguments.Add(sources);
        command.Options.Add(maxBadFraction);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stderr = Console.Error;
            var files = ImportSources.Expand(parse.GetValue(sources)!);
            if (files.Count == 0)
            {
                throw new UsageException("no .parquet, .json, .ndjson or .jsonl files found in the sources");
            }

            await using var creation = index.BeginCreate(parse);
            await using var store = await creation.OpenAsync(cancellationToken);
            var progress = new Progress<ImportProgress>(p =>
            {
                if (p.File.Length > 0)
                {
                    stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{p.FilesDone + 1}/{files.Count}] {p.File} ({p.Rows:N0} rows so far)"));
                }
            });
            ImportResult result;
            try
            {
                result = await IndexImporter.ImportAsync(files, store, progress, cancellationToken, parse.GetValue(maxBadFraction));
            }
            catch (ImportSourceException e)
            {
                throw new ImportSourceException(e.Message + " (the index was not changed)", e);
            }

            creation.Complete();
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
        });
        return command;
    }
}
