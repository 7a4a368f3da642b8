using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Qindex.Cli.Tests.Commands;

/// <summary>
/// The Prometheus endpoint of <c>qindex watch</c>: on loopback only unless <c>--metrics-host</c>
/// says otherwise, serving the metrics issue 9 lists; a bad <c>--metrics-host</c> is a usage error.
/// </summary>
public sealed class WatchMetricsTests : IClassFixture<SimulatorFixture>, IDisposable
{
    private readonly SimulatorFixture _sim;
    private readonly string _dir = CliRunner.TempDir();

    public WatchMetricsTests(SimulatorFixture sim) => _sim = sim;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The local addresses of the sockets listening on <paramref name="port"/> (from /proc/net/tcp and tcp6, in their hex form).</summary>
    private static List<string> ListeningAddresses(int port)
    {
        var hexPort = port.ToString("X4", CultureInfo.InvariantCulture);
        var found = new List<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var local = fields[1].Split(':');
                if (local[1] == hexPort && fields[3] == "0A")
                {
                    found.Add(local[0]);
                }
            }
        }

        return found;
    }

    private sealed class Watch : IDisposable
    {
        private readonly StringBuilder _log = new();

        public Watch(string[] args)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add(CliRunner.Dll);
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            Process = new Process { StartInfo = info };
            Process.ErrorDataReceived += (_, e) => Append(e.Data);
            Process.OutputDataReceived += (_, e) => Append(e.Data);
            Process.Start();
            Process.BeginErrorReadLine();
            Process.BeginOutputReadLine();
        }

        public Process Process { get; }

        public string Log
        {
            get
            {
                lock (_log)
                {
                    return _log.ToString();
                }
            }
        }

        private void Append(string? line)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }

        public async Task WaitForLogAsync(string text)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!Log.Contains(text, StringComparison.Ordinal))
            {
                Assert.False(Process.HasExited, $"qindex watch exited before '{text}':\n{Log}");
                Assert.True(DateTime.UtcNow < deadline, $"no '{text}' after 60 s:\n{Log}");
                await Task.Delay(100);
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
                Process.WaitForExit();
            }

            Process.Dispose();
        }
    }

    [Fact]
    public async Task The_metrics_endpoint_listens_on_loopback_only_by_default_and_serves_the_watch_metrics()
    {
        var port = FreePort();
        var root = _sim.Server.Cluster.CreateDirectory("/", "metrics-" + Guid.NewGuid().ToString("N")).Path;
        using var watch = new Watch(["watch", .. _sim.ClusterArgs(), "--path", root, "--index", Path.Combine(_dir, "idx"), "--batch-window", "200ms", "--metrics-port", port.ToString(CultureInfo.InvariantCulture)]);
        await watch.WaitForLogAsync("caught up");

        // 127.0.0.1 is 0100007F in /proc/net/tcp; every interface would be 00000000 (or all zeros in tcp6).
        var listening = ListeningAddresses(port);
        Assert.True(listening.Count > 0, "nothing listens on the metrics port:\n" + watch.Log);
        Assert.All(listening, address => Assert.Equal("0100007F", address));

        for (var i = 0; i < 5; i++)
        {
            _sim.Server.Cluster.CreateFile(root, $"f{i}");
        }

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        var text = string.Empty;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!text.Contains("qindex_watch_events_applied_total{type=", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "no applied events in the metrics after 30 s:\n" + text + "\n" + watch.Log);
            await Task.Delay(200);
            text = await http.GetStringAsync("metrics");
        }

        // What issue 9 item 7 lists: events received and applied by type, batch sizes, commit
        // latency, event-to-visible lag, reconnects, catch-ups, last applied time.
        Assert.Contains("qindex_watch_events_received_total{type=\"", text, StringComparison.Ordinal);
        Assert.Contains("qindex_watch_batch_events_count ", text, StringComparison.Ordinal);
        Assert.Contains("qindex_watch_commit_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("qindex_watch_event_visible_lag_seconds_sum ", text, StringComparison.Ordinal);
        Assert.Contains("qindex_watch_reconnects_total ", text, StringComparison.Ordinal);
        Assert.Contains("qindex_watch_catchups_total{mode=\"recrawl\"} 1", text, StringComparison.Ordinal);
        var lastApplied = text.Split('\n').Single(l => l.StartsWith("qindex_watch_last_applied_timestamp_seconds ", StringComparison.Ordinal));
        var seconds = double.Parse(lastApplied.Split(' ')[1], CultureInfo.InvariantCulture);
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Metrics_host_star_listens_on_every_interface()
    {
        var port = FreePort();
        var root = _sim.Server.Cluster.CreateDirectory("/", "metrics-" + Guid.NewGuid().ToString("N")).Path;
        using var watch = new Watch(["watch", .. _sim.ClusterArgs(), "--path", root, "--index", Path.Combine(_dir, "idx-all"), "--metrics-port", port.ToString(CultureInfo.InvariantCulture), "--metrics-host", "*"]);
        await watch.WaitForLogAsync("caught up");

        var listening = ListeningAddresses(port);
        Assert.Contains(listening, address => address.Trim('0').Length == 0);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        Assert.Contains("qindex_watch_catchups_total", await http.GetStringAsync("metrics"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("10")]
    [InlineData("300.1.1.1")]
    [InlineData("")]
    public async Task A_bad_metrics_host_is_a_usage_error_that_names_the_option(string host)
    {
        var index = Path.Combine(_dir, "never");
        var result = await CliRunner.RunAsync(["watch", .. _sim.ClusterArgs(), "--index", index, "--metrics-port", "9108", "--metrics-host", host]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--metrics-host", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(index));
    }

    [Theory]
    [InlineData("port in use")]
    [InlineData("address not of this machine")]
    public async Task An_endpoint_that_cannot_listen_is_a_clear_error_and_leaves_no_index(string why)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

        // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
        string[] endpoint = why == "port in use" ? ["--metrics-port", port] : ["--metrics-port", "9", "--metrics-host", "192.0.2.1"];
        var index = Path.Combine(_dir, "idx-" + why.Replace(' ', '-'));
        var result = await CliRunner.RunAsync(["watch", .. _sim.ClusterArgs(), "--index", index, .. endpoint]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("cannot serve metrics on", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--metrics-port", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("bug", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(index), result.ToString());
    }

    [Fact]
    public async Task The_help_text_documents_metrics_host_with_an_example()
    {
        var result = await CliRunner.RunAsync(["watch", "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("--metrics-host", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("--metrics-host 10.0.0.5", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", result.Stdout, StringComparison.Ordinal);
    }
}
