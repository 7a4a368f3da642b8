namespace Qindex.Index.Import;

/// <summary>The kinds of file the importer reads.</summary>
public enum ImportFormat
{
    /// <summary>Parquet written by the users' ingest script (pyarrow).</summary>
    Parquet,

    /// <summary>One attribute object per line, as the community tree walker writes with --json --all-attributes.</summary>
    Ndjson,
}

/// <summary>One file to import and its format.</summary>
public sealed record ImportFile(string Path, ImportFormat Format, long Length);

/// <summary>Expands the sources given on the command line (files and directories) into files to read.</summary>
public static class ImportSources
{
    /// <summary>Files under directories are taken recursively, in ordinal path order, by extension.</summary>
    /// <exception cref="ImportSourceException">A source does not exist or a file has an unknown extension.</exception>
    public static IReadOnlyList<ImportFile> Expand(IEnumerable<string> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var result = new List<ImportFile>();
        foreach (var source in sources)
        {
            if (Directory.Exists(source))
            {
                var files = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
                    .Where(f => FormatOf(f) is not null)
                    .OrderBy(f => f, StringComparer.Ordinal);
                result.AddRange(files.Select(f => new ImportFile(f, FormatOf(f)!.Value, new FileInfo(f).Length)));
            }
            else if (File.Exists(source))
            {
                var format = FormatOf(source) ?? throw new ImportSourceException(
                    $"{source}: unknown file type; expected .parquet, .json, .ndjson or .jsonl");
                result.Add(new ImportFile(source, format, new FileInfo(source).Length));
            }
            else
            {
                throw new ImportSourceException($"{source}: no such file or directory");
            }
        }

        return result;
    }

    private static ImportFormat? FormatOf(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".parquet" => ImportFormat.Parquet,
            ".json" or ".ndjson" or ".jsonl" => ImportFormat.Ndjson,
            _ => null,
        };
    }
}
