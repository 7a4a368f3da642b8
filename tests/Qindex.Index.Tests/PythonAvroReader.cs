using System.Diagnostics;
using System.Text.Json;

namespace Qindex.Index.Tests;

/// <summary>
/// Runs tests/py/read-manifests.py with Debian's /usr/bin/python3 and its python3-avro package
/// (.ci/run installs it), an Avro reader qindex did not write, and returns what it read.
/// </summary>
internal static class PythonAvroReader
{
    internal const string Python = "/usr/bin/python3";

    /// <summary>Null when python3-avro can be imported, else why it cannot.</summary>
    public static async Task<string?> MissingAsync()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} does not exist: install python3-avro (apt-get install python3-avro; .ci/run does)";
        }

        var (exit, _, stderr) = await RunAsync(["-c", "import avro.datafile"]);
        return exit == 0 ? null : $"{Python} cannot import avro: install python3-avro (apt-get install python3-avro; .ci/run does): {stderr.Trim()}";
    }

    /// <summary>The current snapshot's manifest list and manifests of the table whose metadata is at <paramref name="metadataLocation"/>.</summary>
    public static async Task<JsonDocument> ReadManifestsAsync(string metadataLocation)
    {
        string script = Path.Combine(RepositoryRoot(), "tests", "py", "read-manifests.py");
        var (exit, stdout, stderr) = await RunAsync([script, metadataLocation]);
        if (exit != 0)
        {
            throw new InvalidOperationException($"read-manifests.py failed ({exit}): {stderr}");
        }

        return JsonDocument.Parse(stdout);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "qindex.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (qindex.slnx) above " + AppContext.BaseDirectory);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start " + Python);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
