using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Qindex.Simulator;
using Qindex.Simulator.Load;

namespace Qindex.Bench;

/// <summary>
/// The simulated cluster a watch benchmark runs against: in the benchmark's own process, or in a
/// child process (<c>--sim-process</c>) so that the watcher's memory and processor time are its
/// own, as they are beside a real cluster. The load is driven through the simulator's admin API
/// in the second case and directly in the first; both report the same numbers.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    private readonly SimulatorServer? _server;
    private readonly Process? _child;
    private readonly HttpClient? _admin;

    private BenchCluster(SimulatorServer server)
    {
        _server = server;
        Host = server.BaseAddress.Host;
        Port = server.BaseAddress.Port;
        CertificateSha256 = server.CertificateSha256;
    }

    private BenchCluster(Process child, string host, int port, string sha256)
    {
        _child = child;
        Host = host;
        Port = port;
        CertificateSha256 = sha256;
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData())) == sha256;
        _admin = new HttpClient(handler) { BaseAddress = new Uri($"https://{host}:{port}/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    public string Host { get; }

    public int Port { get; }

    public string CertificateSha256 { get; }

    /// <summary>Where the simulator runs, for the table.</summary>
    public string Where => _child is null ? "in process" : "own process";

    public static async Task<BenchCluster> StartAsync(SimulatorOptions options, bool childProcess, CancellationToken cancellationToken)
    {
        if (!childProcess)
        {
            return new BenchCluster(await SimulatorServer.StartAsync(options, cancellationToken));
        }

        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(BenchCluster).Assembly.Location);
        }

        foreach (var arg in new[]
        {
            SimHostBenchmark.CommandName, "--objects", options.Objects.ToString(CultureInfo.InvariantCulture), "--seed", options.Seed.ToString(CultureInfo.InvariantCulture),
            "--watch-capacity", options.WatchCapacity.ToString(CultureInfo.InvariantCulture), "--wide", options.WideDirectoryEntries.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(arg);
        }

        var child = Process.Start(start) ?? throw new InvalidOperationException("cannot start the simulator process");
        string? host = null, sha = null;
        int port = 0;
        while (await child.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "address":
                    host = parts[1];
                    port = int.Parse(parts[2], CultureInfo.InvariantCulture);
                    break;
                case "sha256":
                    sha = parts[1];
                    break;
                case "ready":
                    // Whatever the host prints later is read and dropped, so a full pipe never stalls it.
                    _ = child.StandardOutput.ReadToEndAsync(CancellationToken.None);
                    return new BenchCluster(child, host!, port, sha!);
            }
        }

        throw new InvalidOperationException($"the simulator process ended before it was ready (exit code {(child.HasExited ? child.ExitCode : -1)})");
    }

    public async Task StartLoadAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            _server.Load.Start(options);
            return;
        }

        var body = new Dictionary<string, object>
        {
            ["shape"] = options.Shape.ToString().ToLowerInvariant(),
            ["rate"] = options.Rate,
            ["changes"] = options.Changes,
            ["seed"] = options.Seed,
            ["path"] = options.Path,
            ["max_tree_delete"] = options.MaxTreeDelete,
        };
        await AdminAsync("start", body, cancellationToken);
    }

    /// <summary>Stops the load; changes applied and their rate.</summary>
    public async Task<(long Changes, double ChangesPerSecond)> StopLoadAsync(CancellationToken cancellationToken) =>
        _server is not null ? Summary(await _server.Load.StopAsync()) : await AdminAsync("stop", new Dictionary<string, object>(), cancellationToken);

    /// <summary>Waits for a load of a set number of changes to finish.</summary>
    public async Task<(long Changes, double ChangesPerSecond)> WaitLoadAsync(CancellationToken cancellationToken) =>
        _server is not null ? Summary(await _server.Load.WaitAsync(cancellationToken)) : await AdminAsync("wait", new Dictionary<string, object> { ["seconds"] = 3600 }, cancellationToken);

    /// <summary>The simulator process's peak resident memory in MB, when it runs apart.</summary>
    public double? ChildPeakMegabytes()
    {
        if (_child is null)
        {
            return null;
        }

        var line = File.ReadLines($"/proc/{_child.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_child is not null)
        {
            _admin!.Dispose();

            // The host stops when its standard input closes.
            _child.StandardInput.Close();
            if (!_child.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                _child.Kill(entireProcessTree: true);
            }

            _child.Dispose();
        }
    }

    private static (long, double) Summary(LoadStatus status) => (status.Changes, status.ChangesPerSecond);

    private async Task<(long, double)> AdminAsync(string action, Dictionary<string, object> body, CancellationToken cancellationToken)
    {
        using var response = await _admin!.PostAsJsonAsync($"__sim/load/{action}", body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"load {action}: HTTP {(int)response.StatusCode} {text}");
        }

        using var json = JsonDocument.Parse(text);
        return (json.RootElement.GetProperty("changes").GetInt64(), json.RootElement.GetProperty("changes_per_second").GetDouble());
    }
}

/// <summary>Serves the simulator for a watch benchmark run in another process (<c>watch --sim-process</c>); not meant to be run by hand.</summary>
internal sealed class SimHostBenchmark : IBenchmark
{
    public const string CommandName = "sim-host";

    public string Name => CommandName;

    public string Description => "serves the simulator for `watch --sim-process` (prints its address; stops when standard input closes)";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        string Arg(string name) => args[Array.IndexOf(args, name) + 1];
        await using var server = await SimulatorServer.StartAsync(
            new SimulatorOptions
            {
                Objects = long.Parse(Arg("--objects"), CultureInfo.InvariantCulture),
                Seed = int.Parse(Arg("--seed"), CultureInfo.InvariantCulture),
                WatchCapacity = int.Parse(Arg("--watch-capacity"), CultureInfo.InvariantCulture),
                WideDirectoryEntries = int.Parse(Arg("--wide"), CultureInfo.InvariantCulture),
            },
            cancellationToken);
        Console.WriteLine($"address {server.BaseAddress.Host} {server.BaseAddress.Port.ToString(CultureInfo.InvariantCulture)}");
        Console.WriteLine($"sha256 {server.CertificateSha256}");
        Console.WriteLine("ready");
        while (await Console.In.ReadLineAsync(cancellationToken) is not null)
        {
        }

        return 0;
    }
}
