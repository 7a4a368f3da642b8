using System.Diagnostics;
using System.Text.Json;

namespace Qindex.Index.Tests;

/// <summary>
/// Runs the independent readers in tests/js (icebird, hyparquet from the npm registry) and
/// returns what they read. They are installed by scripts/test.sh (npm ci).
/// </summary>
internal static class NodeReaders
{
    internal static string ScriptsDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "qindex.slnx")))
            {
                string js = Path.Combine(dir.FullName, "tests", "js");
                if (!Directory.Exists(Path.Combine(js, "node_modules", "icebird")))
                {
                    throw new InvalidOperationException($"{js}/node_modules is missing: run 'npm ci --prefix tests/js' (scripts/test.sh does)");
                }

                return js;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (qindex.slnx) above " + AppContext.BaseDirectory);
    }

    /// <summary>The rows icebird reads from the table whose current metadata is at <paramref name="metadataLocation"/>.</summary>
    public static Task<JsonDocument> ReadIcebergAsync(string metadataLocation) => RunAsync("read-iceberg.mjs", metadataLocation);

    /// <summary>The rows hyparquet reads from one Parquet file.</summary>
    public static Task<JsonDocument> ReadParquetAsync(string path) => RunAsync("read-parquet.mjs", path);

    /// <summary>The schema elements of one Parquet file's footer as hyparquet reads them (name, repetition_type, field_id).</summary>
    public static Task<JsonDocument> ReadParquetSchemaAsync(string path) => RunAsync("read-parquet-schema.mjs", path);

    private static async Task<JsonDocument> RunAsync(string script, string argument)
    {
        string dir = ScriptsDirectory();
        var start = new ProcessStartInfo("node") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(dir, script));
        start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start node");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} failed ({process.ExitCode}): {await stderr}");
        }

        return JsonDocument.Parse(await stdout);
    }
}
