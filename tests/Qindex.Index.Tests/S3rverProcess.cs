using System.Diagnostics;
using System.Text.Json;

namespace Qindex.Index.Tests;

/// <summary>
/// s3rver (npm, an S3 implementation qindex did not write) run by tests/js/s3rver.mjs on a free
/// loopback port, with AWS signature checking on. Installed by scripts/test.sh (npm ci); stopped
/// by closing its standard input, and killed if it does not stop.
/// </summary>
internal sealed class S3rverProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private S3rverProcess(Process process, string directory, Uri endpoint, string accessKeyId, string secretAccessKey)
    {
        _process = process;
        _directory = directory;
        Endpoint = endpoint;
        AccessKeyId = accessKeyId;
        SecretAccessKey = secretAccessKey;
    }

    public Uri Endpoint { get; }

    public string AccessKeyId { get; }

    public string SecretAccessKey { get; }

    public static async Task<S3rverProcess> StartAsync(params string[] buckets)
    {
        string js = NodeReaders.ScriptsDirectory();
        string directory = PipelineFixtures.TempDir();
        var start = new ProcessStartInfo("node") { WorkingDirectory = js, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(js, "s3rver.mjs"));
        start.ArgumentList.Add(directory);
        foreach (var bucket in buckets)
        {
            start.ArgumentList.Add(bucket);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start node");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null)
        {
            string error = await process.StandardError.ReadToEndAsync(timeout.Token);
            process.Dispose();
            throw new InvalidOperationException($"s3rver did not start: {error}");
        }

        using var info = JsonDocument.Parse(line);
        var root = info.RootElement;
        return new S3rverProcess(process, directory, new Uri(root.GetProperty("endpoint").GetString()!), root.GetProperty("accessKeyId").GetString()!, root.GetProperty("secretAccessKey").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
