using System.Diagnostics;
using System.Text;
using Qindex.Simulator;

namespace Qindex.Cli.Tests;

/// <summary>What one run of the qindex command printed and how it exited.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Both streams, for assertions about everything the user saw.</summary>
    public string Output => Stdout + Stderr;

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Runs the built qindex command as a process, as a user would, with its own environment and
/// working directory. QINDEX_CLI_DLL points the tests at another build (for example the one
/// before a fix, to see a test fail).
/// </summary>
public static class CliRunner
{
    public static string Dll => Environment.GetEnvironmentVariable("QINDEX_CLI_DLL") is { Length: > 0 } dll
        ? dll
        : Path.Combine(AppContext.BaseDirectory, "qindex.dll");

    public static async Task<CliResult> RunAsync(string[] args, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        start.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // A test never picks up the developer's own credentials or catalog token.
        foreach (var name in new[] { "QINDEX_USER", "QINDEX_PASSWORD", "QINDEX_CATALOG_TOKEN" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["HOME"] = Path.Combine(Path.GetTempPath(), "qindex-cli-tests-home");
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"qindex {string.Join(' ', args)} did not finish in time");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A new empty directory under the system temp directory.</summary>
    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "qindex-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>One tree-walker NDJSON line for a file at <paramref name="path"/>.</summary>
    public static string NdjsonLine(string path, long size) =>
        "{\"path\":" + System.Text.Json.JsonSerializer.Serialize(path) +
        ",\"name\":\"n\",\"num_links\":1,\"type\":\"FS_FILE_TYPE_FILE\",\"id\":\"5\",\"file_number\":\"5\",\"mode\":\"0644\"," +
        "\"owner\":\"12\",\"owner_details\":{\"id_type\":\"NFS_UID\",\"id_value\":\"12\"},\"size\":\"" + size +
        "\",\"modification_time\":\"2024-03-01T10:20:30.123456789Z\",\"extended_attributes\":{\"hidden\":false}}";

    /// <summary>Writes an NDJSON file of <paramref name="rows"/> good lines and returns its path.</summary>
    public static string WriteNdjson(string directory, int rows, string name = "walk.ndjson")
    {
        var file = Path.Combine(directory, name);
        File.WriteAllLines(file, Enumerable.Range(0, rows).Select(i => NdjsonLine($"/data/f{i}", i)));
        return file;
    }

    /// <summary>Imports <paramref name="rows"/> rows into a new index at <paramref name="index"/>.</summary>
    public static async Task ImportRowsAsync(string index, int rows)
    {
        var source = WriteNdjson(Path.GetDirectoryName(index)!, rows, Guid.NewGuid().ToString("N") + ".ndjson");
        var result = await RunAsync(["import", "--index", index, source]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary>Rows in the index, counted through qindex query.</summary>
    public static async Task<long> CountRowsAsync(string index)
    {
        var result = await RunAsync(["query", "--index", index, "--format", "csv", "SELECT count(*) AS n FROM files"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return long.Parse(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>A small simulated cluster on a free loopback port, its certificate written to a PEM file.</summary>
public sealed class SimulatorFixture : IAsyncLifetime
{
    public SimulatorServer Server { get; private set; } = null!;

    public string CertFile { get; } = Path.Combine(CliRunner.TempDir(), "sim.pem");

    /// <summary>The cluster options of a crawl against this simulator as admin (password <paramref name="password"/>).</summary>
    public string[] ClusterArgs(string password = "admin") =>
        ["--host", "127.0.0.1", "--port", Server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--ca-cert", CertFile, "--user", "admin", "--password", password];

    public async Task InitializeAsync() =>
        Server = await SimulatorServer.StartAsync(new SimulatorOptions { Port = 0, Objects = 300, Seed = 3, CertOut = CertFile, Password = "admin" });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
